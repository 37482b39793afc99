"""The quantity catalogue: what each result quantity is called, means and is shown in.

Results are stored in SI units (W, J, K, Pa, m3/s; see :data:`omotes.results.QUANTITY_UNITS`)
because arithmetic stays simple there, but people read heat in kW or MW, energy in MWh,
temperature in °C, pressure in bar and flows in m3/h. This module is the one place that knows
both: pages get the catalogue (:func:`catalogue`) with every series and chart they load, so the
JavaScript applies the conversions it is given instead of keeping its own copy. CSV and the APIs'
values stay SI; only what a person reads is converted.

A scaled unit (kW, MW, GW) is chosen from the size of the values, so that a series peaking at
398,735 W reads 399 kW rather than 398,735.461 W: :func:`display_unit` picks the largest step
whose threshold the reference magnitude reaches.

Signs: a person reads the heat a producer supplies, and the heat a producer or consumer was
asked for, as positive kW or MW, wherever the pages show it (charts, tooltips, the map's colours
and values). The simulator (omotes-simulator-core 0.0.30; measured on test1, 2sources and
test_2_sources) stores ``heat_supplied`` and ``heat_demand`` positive but both set points
negative, its controller's sign. A quantity stored with the other sign carries
``shown_sign = -1`` (:attr:`Quantity.shown_sign`); pages multiply what they show by it, in one
place (``static/js/charts.js``). The APIs and CSV keep the stored values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from omotes.asset_roles import HEAT_CONSUMER_CLASSES, SUPPLYING_CLASSES


@dataclass(frozen=True)
class DisplayUnit:
    """A unit a person reads: ``shown = (si - offset) / factor``.

    ``threshold`` is the smallest magnitude (in SI) at which this step is preferred over the one
    below it; the first step of a list is used for anything smaller.
    """

    unit: str
    factor: float
    offset: float = 0.0
    threshold: float = 0.0

    def from_si(self, value_si: float) -> float:
        return (value_si - self.offset) / self.factor


#: Display steps per SI unit, smallest first. Units without an entry are shown as stored.
DISPLAY_STEPS: dict[str, tuple[DisplayUnit, ...]] = {
    "W": (
        DisplayUnit("W", 1.0),
        DisplayUnit("kW", 1e3, threshold=1e3),
        DisplayUnit("MW", 1e6, threshold=1e6),
        DisplayUnit("GW", 1e9, threshold=1e9),
    ),
    "J": (
        DisplayUnit("kWh", 3.6e6),
        DisplayUnit("MWh", 3.6e9, threshold=3.6e9),
        DisplayUnit("GWh", 3.6e12, threshold=3.6e12),
    ),
    "K": (DisplayUnit("°C", 1.0, offset=273.15),),
    "Pa": (DisplayUnit("bar", 1e5),),
    "Pa/m": (DisplayUnit("Pa/m", 1.0),),
    "m3/s": (DisplayUnit("m³/h", 1 / 3600),),
    "m3": (DisplayUnit("m³", 1.0),),
}

#: Units results and KPIs are written in that are not SI, as (SI unit, factor, offset).
NON_SI_UNITS: dict[str, tuple[str, float, float]] = {
    "kW": ("W", 1e3, 0.0),
    "MW": ("W", 1e6, 0.0),
    "GW": ("W", 1e9, 0.0),
    "Wh": ("J", 3.6e3, 0.0),
    "kWh": ("J", 3.6e6, 0.0),
    "MWh": ("J", 3.6e9, 0.0),
    "GWh": ("J", 3.6e12, 0.0),
    "°C": ("K", 1.0, 273.15),
    "bar": ("Pa", 1e5, 0.0),
    "m3/h": ("m3/s", 1 / 3600, 0.0),
}


@dataclass(frozen=True)
class Quantity:
    """A stored quantity; ``shown_sign`` (1 or -1) turns its stored sign into the one a person
    reads (see the module docstring)."""

    key: str
    name: str
    description: str
    group: str
    si_unit: str
    shown_sign: int = 1


GROUPS = ("heat", "energy", "temperature", "flow", "pressure", "speed", "storage", "other")

QUANTITIES: dict[str, Quantity] = {
    q.key: q
    for q in (
        Quantity(
            "heat_supplied", "Heat supplied", "Heat a producer puts into the network.", "heat", "W"
        ),
        Quantity(
            "heat_demand", "Heat demand", "Heat a consumer takes from the network.", "heat", "W"
        ),
        Quantity("heat_loss", "Heat loss", "Heat a pipe loses to the ground.", "heat", "W"),
        Quantity(
            "heat_supply_set_point",
            "Heat supply set point",
            "Heat a producer was asked to supply.",
            "heat",
            "W",
            shown_sign=-1,  # the simulator stores it negative
        ),
        Quantity(
            "heat_demand_set_point",
            "Heat demand set point",
            "Heat a consumer asked for.",
            "heat",
            "W",
            shown_sign=-1,  # the simulator stores it negative
        ),
        Quantity(
            "heat_power_primary",
            "Heat, primary side",
            "Heat through the primary side of a heat exchanger or heat pump.",
            "heat",
            "W",
        ),
        Quantity(
            "heat_power_secondary",
            "Heat, secondary side",
            "Heat through the secondary side of a heat exchanger or heat pump.",
            "heat",
            "W",
        ),
        Quantity("thermal_power", "Thermal power", "Heat flowing through the asset.", "heat", "W"),
        Quantity(
            "electricity_consumption",
            "Electricity used",
            "Electric power the asset draws (pumps, heat pumps).",
            "other",
            "W",
        ),
        Quantity(
            "temperature", "Temperature", "Water temperature at the port.", "temperature", "K"
        ),
        Quantity(
            "temperature_in",
            "Inlet temperature",
            "Water temperature where it enters the asset.",
            "temperature",
            "K",
        ),
        Quantity(
            "temperature_out",
            "Outlet temperature",
            "Water temperature where it leaves the asset.",
            "temperature",
            "K",
        ),
        Quantity(
            "buffer_hot_temperature",
            "Storage hot-side temperature",
            "Temperature of the hot layer of a heat storage.",
            "temperature",
            "K",
        ),
        Quantity(
            "buffer_cold_temperature",
            "Storage cold-side temperature",
            "Temperature of the cold layer of a heat storage.",
            "temperature",
            "K",
        ),
        Quantity(
            "mass_flow", "Mass flow", "Mass of water through the port per second.", "flow", "kg/s"
        ),
        Quantity("volume_flow", "Volume flow", "Volume of water through the port.", "flow", "m3/s"),
        Quantity("velocity", "Flow velocity", "Speed of the water in the pipe.", "speed", "m/s"),
        Quantity("pressure", "Pressure", "Water pressure at the port.", "pressure", "Pa"),
        Quantity(
            "pressure_loss",
            "Pressure loss",
            "Pressure lost between the asset's ports.",
            "pressure",
            "Pa",
        ),
        Quantity(
            "pressure_loss_per_length",
            "Pressure loss per metre",
            "Pressure lost per metre of pipe.",
            "pressure",
            "Pa/m",
        ),
        Quantity("volume", "Stored volume", "Water volume held in a storage.", "storage", "m3"),
        Quantity("fill_level", "Fill level", "How full a storage is (0 to 1).", "storage", "-"),
    )
}

#: Friendly names of ESDL asset classes (the class name split into words otherwise).
ASSET_CLASS_NAMES: dict[str, str] = {
    "HeatingDemand": "Heating demand",
    "GenericConsumer": "Consumer",
    "GenericProducer": "Producer",
    "ResidualHeatSource": "Residual heat source",
    "GeothermalSource": "Geothermal source",
    "HeatStorage": "Heat storage",
    "HeatPump": "Heat pump",
    "HeatExchange": "Heat exchanger",
    "GasHeater": "Gas heater",
    "SolarCollector": "Solar collector",
    "ATES": "Aquifer storage (ATES)",
}


def display_unit(si_unit: str, magnitude_si: float = 0.0) -> DisplayUnit:
    """The unit to show values of ``si_unit`` in, for values around ``magnitude_si``."""
    steps = DISPLAY_STEPS.get(si_unit)
    if not steps:
        return DisplayUnit(si_unit, 1.0)
    chosen = steps[0]
    for step in steps[1:]:
        if abs(magnitude_si) >= step.threshold:
            chosen = step
    return chosen


def to_si(value: float, unit: str) -> tuple[float, str]:
    """A value in any unit of the catalogue as (value, SI unit); unknown units pass through."""
    si_unit, factor, offset = NON_SI_UNITS.get(unit, (unit, 1.0, 0.0))
    return value * factor + offset, si_unit


def readable(value: float, unit: str) -> tuple[float, str]:
    """``value`` in ``unit`` converted and scaled for reading: (398735.4, "W") -> (398.7, "kW")."""
    value_si, si_unit = to_si(value, unit)
    shown = display_unit(si_unit, value_si)
    return shown.from_si(value_si), shown.unit


def format_readable(value: float, unit: str) -> str:
    """``readable`` as text with three significant figures at least: '399 kW', '80.0 °C'."""
    number, shown_unit = readable(value, unit)
    magnitude = abs(number)
    decimals = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2 if magnitude >= 0.01 else 4
    text = f"{number:,.{decimals}f}"
    return f"{text} {shown_unit}".strip() if shown_unit not in ("", "-") else text


def port_role(asset_class: str, port: str) -> str:
    """'supply' or 'return' for a producer's or consumer's In/Out port, else ''.

    A heat pump counts as a producer here: only the two-port kind, a producer, names its ports
    In and Out (see :mod:`omotes.asset_roles`).
    """
    base = port.split("_")[0].lower()
    if asset_class in SUPPLYING_CLASSES:
        return {"out": "supply", "in": "return"}.get(base, "")
    if asset_class in HEAT_CONSUMER_CLASSES:
        return {"in": "supply", "out": "return"}.get(base, "")
    return ""


def describe_field(field: str, asset_class: str = "", unit: str = "") -> dict[str, str | int]:
    """Name, description, group, SI unit and shown sign of a stored field, port-level ones
    included.

    ``In.temperature`` of a producer reads "Return temperature (In)"; a field the catalogue does
    not know keeps its key as its name, in group "other", with the unit it was stored with.
    """
    port, _, key = field.rpartition(".")
    quantity = QUANTITIES.get(key)
    if quantity is None:
        return {
            "key": key,
            "name": field,
            "description": "",
            "group": "other",
            "si_unit": unit,
            "shown_sign": 1,
        }
    name = quantity.name
    if port:
        role = port_role(asset_class, port)
        name = f"{role.capitalize()} {name.lower()} ({port})" if role else f"{name} at {port}"
    return {
        "key": key,
        "name": name,
        "description": quantity.description,
        "group": quantity.group,
        "si_unit": quantity.si_unit or unit,
        "shown_sign": quantity.shown_sign,
    }


def asset_class_name(asset_class: str) -> str:
    """'HeatingDemand' -> 'Heating demand' (known classes by the table, others split)."""
    if asset_class in ASSET_CLASS_NAMES:
        return ASSET_CLASS_NAMES[asset_class]
    words: list[str] = []
    for char in asset_class:
        if char.isupper() and words and not words[-1][-1:].isupper():
            words.append(char.lower())
        elif words:
            words[-1] += char
        else:
            words.append(char)
    return " ".join(words).capitalize() if words else ""


def catalogue() -> dict:
    """The catalogue as JSON for pages: quantities, groups, display steps per SI unit, classes."""
    return {
        "quantities": {key: asdict(q) for key, q in QUANTITIES.items()},
        "groups": list(GROUPS),
        "display": {unit: [asdict(s) for s in steps] for unit, steps in DISPLAY_STEPS.items()},
        "asset_classes": ASSET_CLASS_NAMES,
        "non_si": {
            unit: {"si_unit": si, "factor": factor, "offset": offset}
            for unit, (si, factor, offset) in NON_SI_UNITS.items()
        },
        # Pages list producers first; a heat pump of either kind supplies the network it feeds.
        "roles": {
            "producers": sorted(SUPPLYING_CLASSES),
            "consumers": sorted(HEAT_CONSUMER_CLASSES),
        },
    }
