"""Economic and environmental KPIs of a heat network: costs, levelised cost of heat, CO2.

Pure Python on a parsed ESDL, the energy each asset supplied, used or lost in the simulated
period, and a set of key figures (``key -> value``, see ``apps/keyfigures/figures.py`` for the
keys and units). No Django, no database, no network: the frontend reads the energies from the
job's results and the figures from its key-figure version, and calls :func:`cost_network`.

The formulas, per asset, with every energy scaled from the simulated period to a year
(``year_factor = 8,760 h / simulated hours``):

- CAPEX: a pipe costs ``EUR/m of its DN x length``; a producer or storage ``EUR/kW x power``.
  Where the ESDL gives ``costInformation`` (investment and installation costs, in EUR, EUR/m or
  EUR per W/kW/MW), it wins over the key figures; each asset says which it used.
- OPEX per year: fixed O&M (``EUR/kW/yr x power``; pipes a % of their CAPEX) + variable O&M
  (``EUR/MWh x heat supplied``) + energy bought (``heat / efficiency`` MWh of the producer's
  carrier x its price). An ESDL COP or efficiency wins over the key figure, and the electricity
  the simulator metered (a heat pump's ``electricity_consumption``) wins over both.
- A heat pump between two networks supplies its secondary network with heat it partly took from
  the primary one; each producer's share of the heat counts only what it added.
- Annualised total cost: ``sum(CAPEX_i x a(r, n_i)) + OPEX`` with the annuity factor
  ``a(r, n) = r / (1 - (1 + r)^-n)`` (``1/n`` at r = 0), r the discount rate, n_i the lifetime.
- LCOH: annualised total cost / heat delivered to consumers per year [EUR/MWh].
- CO2: energy bought x the carrier's emission factor [t/yr], and per MWh delivered [kg/MWh].

Why not OMOTES ``kpi-calculator`` (PyPI 0.4.2, GPL-3.0, tried on ``heat_pump_bypass.esdl``): it
computes CAPEX/OPEX/NPV/EAC only from ESDL ``costInformation`` and emissions only from a
carrier's ``emission`` attribute (heat carriers have none), so every network without cost data
costs 0; it has no key figures, no energy bought per carrier with COPs, and it wants each
asset's full time series as pandas frames, where these KPIs need only energy totals that
InfluxDB sums without the points leaving it. Its CAPEX for ``heat_pump_bypass.esdl`` (2,856,243.6
EUR from the ESDL's cost data) is what :func:`esdl_capex` gives too (see the tests).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import esdl

from omotes.protocol import Kpi

J_PER_MWH = 3.6e9
HOURS_PER_YEAR = 8760.0

#: ESDL class -> key-figure family, and the carrier its producers buy (None: buys nothing). Not
#: a list of producers (storage and pipes cost too): :mod:`omotes.asset_roles` says which are.
FAMILIES: dict[str, tuple[str, str | None]] = {
    "GenericProducer": ("generic_producer", "natural_gas"),
    "GasHeater": ("gas_heater", "natural_gas"),
    "HeatPump": ("heat_pump", "electricity"),
    "ElectricBoiler": ("electric_boiler", "electricity"),
    "GeothermalSource": ("geothermal_source", "electricity"),
    "ResidualHeatSource": ("residual_heat_source", "residual_heat"),
    "HeatStorage": ("heat_storage", None),
    "ATES": ("ates", None),
    "Pipe": ("pipe", None),
}
#: The ESDL attribute that holds a producer's own efficiency or COP.
EFFICIENCY_ATTRIBUTE = {"HeatPump": "COP", "GeothermalSource": "COP"}
CARRIER_NAMES = {
    "natural_gas": "Natural gas",
    "electricity": "Electricity",
    "residual_heat": "Residual heat",
}
_MULTIPLIERS = {
    "NONE": 1.0,
    "KILO": 1e3,
    "MEGA": 1e6,
    "GIGA": 1e9,
    "TERA": 1e12,
    "MILLI": 1e-3,
}
ESDL = "ESDL costInformation"
#: Keys of the network-wide KPIs computed here; per-asset ones are "<prefix>:<id or carrier>".
NETWORK_KPIS = ("capex", "opex", "total_cost", "lcoh", "co2", "co2_per_mwh", "pipe_loss_yearly")
PER_ASSET_PREFIXES = ("supplied", "share", "bought")


def is_economic_kpi(key: str) -> bool:
    return key in NETWORK_KPIS or key.partition(":")[0] in PER_ASSET_PREFIXES


@dataclass
class AssetEnergy:
    """What one asset did over the simulated period [J], and its peak supply [W].

    ``taken_j``: heat a conversion between networks (a four-port heat pump) took from its
    primary network to supply its secondary one (``peak_taken_w`` at its peak);
    ``electricity_j``: electricity the simulator says it consumed (then counted as bought
    instead of heat / COP)."""

    supplied_j: float = 0.0
    demand_j: float = 0.0
    loss_j: float = 0.0
    peak_supplied_w: float = 0.0
    taken_j: float = 0.0
    peak_taken_w: float = 0.0
    electricity_j: float = 0.0


@dataclass
class AssetCost:
    asset_id: str
    name: str
    asset_class: str
    size: str = ""
    capex_eur: float = 0.0
    capex_source: str = ""
    lifetime_yr: float | None = None
    fixed_om_eur_yr: float = 0.0
    variable_om_eur_yr: float = 0.0
    om_source: str = ""
    heat_mwh_yr: float = 0.0
    taken_mwh_yr: float = 0.0  # of that heat, what it took from another network
    carrier: str | None = None
    bought_mwh_yr: float = 0.0
    energy_cost_eur_yr: float = 0.0
    co2_kg_yr: float = 0.0
    annualised_eur_yr: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Costing:
    kpis: list[Kpi]
    assets: list[AssetCost]
    warnings: list[str] = field(default_factory=list)
    figures_used: dict[str, float] = field(default_factory=dict)


def annuity_factor(rate: float, years: float) -> float:
    """The share of an investment paid each year over ``years`` at discount ``rate`` (0.05)."""
    if years <= 0:
        raise ValueError("a lifetime must be positive")
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


class _Figures:
    """The key figures, remembering which were used (a job records them)."""

    def __init__(self, figures: Mapping[str, float]) -> None:
        self.figures = figures
        self.used: dict[str, float] = {}

    def get(self, key: str) -> float | None:
        value = self.figures.get(key)
        if value is not None:
            self.used[key] = float(value)
        return None if value is None else float(value)


# -- ESDL cost information ---------------------------------------------------------------------


def _cost_value(value: Any, length_m: float, power_w: float, mwh_yr: float) -> float | None:
    """A costInformation value as EUR (investment) or EUR/yr (O&M); None when its unit is one
    this module does not know (the caller falls back to key figures)."""
    if value is None or not isinstance(value, esdl.SingleValue):
        return None
    amount = float(value.value or 0.0)
    unit = value.profileQuantityAndUnit
    if isinstance(unit, esdl.QuantityAndUnitReference):
        unit = unit.reference
    if unit is None:
        return amount  # a bare number: EUR (or EUR/yr), as the ESDL editor writes them
    if unit.unit is not None and unit.unit.name not in ("EURO", "NONE"):
        return None
    amount *= _MULTIPLIERS.get(unit.multiplier.name if unit.multiplier else "NONE", math.nan)
    per_unit = unit.perUnit.name if unit.perUnit else "NONE"
    per_multiplier = _MULTIPLIERS.get(
        unit.perMultiplier.name if unit.perMultiplier else "NONE", math.nan
    )
    if per_unit == "NONE":
        result = amount
    elif per_unit == "METRE":
        result = amount / per_multiplier * length_m
    elif per_unit == "WATT":
        result = amount / per_multiplier * power_w
    elif per_unit == "WATTHOUR":
        result = amount / per_multiplier * mwh_yr * 1e6
    else:
        return None
    return result if math.isfinite(result) else None


def esdl_capex(asset: Any) -> float | None:
    """Investment plus installation cost of an asset from its costInformation, in EUR."""
    info = asset.costInformation
    if info is None:
        return None
    length = float(getattr(asset, "length", 0.0) or 0.0)
    power = float(getattr(asset, "power", 0.0) or 0.0)
    parts = [
        _cost_value(getattr(info, name), length, power, 0.0)
        for name in ("investmentCosts", "installationCosts")
        if getattr(info, name) is not None
    ]
    if not parts or any(p is None for p in parts):
        return None
    return float(sum(parts))


def _esdl_om(asset: Any, mwh_yr: float) -> tuple[float, float] | None:
    """(fixed, variable) O&M from costInformation in EUR/yr, or None when it gives none."""
    info = asset.costInformation
    if info is None:
        return None
    length = float(getattr(asset, "length", 0.0) or 0.0)
    power = float(getattr(asset, "power", 0.0) or 0.0)
    totals = []
    found = False
    for names in (
        ("fixedOperationalCosts", "fixedMaintenanceCosts"),
        ("variableOperationalCosts", "variableMaintenanceCosts"),
    ):
        total = 0.0
        for name in names:
            value = getattr(info, name)
            if value is None:
                continue
            amount = _cost_value(value, length, power, mwh_yr)
            if amount is None:
                return None
            total += amount
            found = True
        totals.append(total)
    return (totals[0], totals[1]) if found else None


# -- the network -------------------------------------------------------------------------------


def _nearest_dn(pipe: Any, figures: Mapping[str, float]) -> int | None:
    """The pipe's DN: its ``diameter`` literal, else the priced DN nearest its inner diameter
    in mm (a DN number is close to the inner diameter in mm)."""
    diameter = pipe.diameter
    if diameter is not None and diameter.name.startswith("DN"):
        return int(diameter.name[2:])
    inner_mm = float(pipe.innerDiameter or 0.0) * 1000
    if inner_mm <= 0:
        return None
    priced = [
        int(key.rsplit("DN", 1)[1])
        for key in figures
        if key.startswith("pipe.investment_eur_per_m.DN")
    ]
    return min(priced, key=lambda dn: abs(dn - inner_mm)) if priced else None


def _assets(energy_system: Any) -> list[Any]:
    stack = [i.area for i in energy_system.instance if i.area is not None]
    out = []
    while stack:
        area = stack.pop()
        out.extend(area.asset)
        stack.extend(area.area)
    return out


def _cost_pipe(pipe: Any, cost: AssetCost, figures: _Figures, warnings: list[str]) -> None:
    length = float(pipe.length or 0.0)
    dn = _nearest_dn(pipe, figures.figures)
    cost.size = f"DN{dn}, {length:,.0f} m" if dn else f"{length:,.0f} m"
    capex = esdl_capex(pipe)
    if capex is not None:
        cost.capex_eur, cost.capex_source = capex, ESDL
    else:
        key = f"pipe.investment_eur_per_m.DN{dn}"
        per_m = figures.get(key) if dn else None
        if per_m is None:
            cost.capex_source = f"none: no figure {key}" if dn else "none: pipe size unknown"
            warnings.append(f"Pipe {cost.name}: no investment cost ({cost.capex_source}).")
        else:
            cost.capex_eur, cost.capex_source = per_m * length, f"key figure {key}"
    om = _esdl_om(pipe, 0.0)
    if om is not None:
        cost.fixed_om_eur_yr, cost.variable_om_eur_yr = om
        cost.om_source = ESDL
    else:
        percent = figures.get("pipe.fixed_om_percent_of_capex")
        if percent is not None:
            cost.fixed_om_eur_yr = cost.capex_eur * percent / 100
            cost.om_source = "key figure pipe.fixed_om_percent_of_capex"
    cost.lifetime_yr = figures.get("pipe.lifetime")


def _cost_unit(
    asset: Any,
    family: str,
    carrier: str | None,
    energy: AssetEnergy,
    year_factor: float,
    cost: AssetCost,
    figures: _Figures,
    warnings: list[str],
) -> None:
    """A producer or storage: CAPEX by power, O&M, energy bought and its CO2."""
    power_w = float(getattr(asset, "power", 0.0) or 0.0)
    size_note = ""
    if power_w <= 0 and energy.peak_supplied_w > 0:
        power_w, size_note = energy.peak_supplied_w, " (peak supplied: no power in the ESDL)"
    cost.size = f"{power_w / 1e6:,.2f} MW{size_note}"
    heat_mwh = energy.supplied_j / J_PER_MWH * year_factor
    cost.heat_mwh_yr = heat_mwh
    cost.taken_mwh_yr = energy.taken_j / J_PER_MWH * year_factor
    capex = esdl_capex(asset)
    if capex is not None:
        cost.capex_eur, cost.capex_source = capex, ESDL
    else:
        key = f"{family}.investment_eur_per_kw"
        per_kw = figures.get(key)
        if per_kw is None:
            cost.capex_source = f"none: no figure {key}"
            warnings.append(f"{cost.name}: no investment cost ({cost.capex_source}).")
        else:
            cost.capex_eur, cost.capex_source = per_kw * power_w / 1e3, f"key figure {key}"
    om = _esdl_om(asset, heat_mwh)
    if om is not None:
        cost.fixed_om_eur_yr, cost.variable_om_eur_yr = om
        cost.om_source = ESDL
    else:
        fixed = figures.get(f"{family}.fixed_om_eur_per_kw_yr") or 0.0
        variable = figures.get(f"{family}.variable_om_eur_per_mwh") or 0.0
        cost.fixed_om_eur_yr = fixed * power_w / 1e3
        cost.variable_om_eur_yr = variable * heat_mwh
        cost.om_source = f"key figures {family}.*_om_*"
    cost.lifetime_yr = figures.get(f"{family}.lifetime")
    if carrier is None or heat_mwh <= 0:
        return
    if carrier == "electricity" and energy.electricity_j > 0:  # what the simulator metered
        cost.bought_mwh_yr = energy.electricity_j / J_PER_MWH * year_factor
    else:
        attribute = EFFICIENCY_ATTRIBUTE.get(asset.eClass.name, "efficiency")
        own = float(getattr(asset, attribute, 0.0) or 0.0) if hasattr(asset, attribute) else 0.0
        efficiency = own if own > 0 else figures.get(f"{family}.efficiency")
        if efficiency is None or efficiency <= 0:
            warnings.append(f"{cost.name}: no efficiency, energy bought not counted.")
            return
        cost.bought_mwh_yr = heat_mwh / efficiency
    cost.carrier = carrier
    price = figures.get(f"energy_price.{carrier}")
    factor = figures.get(f"emission_factor.{carrier}")
    if price is None:
        warnings.append(f"No price for {carrier}: its cost is not counted.")
    if factor is None:
        warnings.append(f"No emission factor for {carrier}: its CO2 is not counted.")
    cost.energy_cost_eur_yr = cost.bought_mwh_yr * (price or 0.0)
    cost.co2_kg_yr = cost.bought_mwh_yr * (factor or 0.0)


def cost_network(
    energy_system: Any,
    energies: Mapping[str, AssetEnergy],
    period_s: float,
    figures: Mapping[str, float],
) -> Costing:
    """Costs, LCOH and CO2 of a simulated network (see the module docstring for the formulas).

    ``energies`` maps asset id to what it did over ``period_s`` seconds of simulation.
    """
    if period_s <= 0:
        raise ValueError("the simulated period must be positive")
    year_factor = HOURS_PER_YEAR * 3600 / period_s
    used = _Figures(figures)
    warnings: list[str] = []
    rate_percent = used.get("finance.discount_rate")
    if rate_percent is None:
        warnings.append("No discount rate (finance.discount_rate): costs annualised at 0 %.")
    rate = (rate_percent or 0.0) / 100
    costs: list[AssetCost] = []
    delivered_mwh = 0.0
    loss_mwh = 0.0
    for asset in _assets(energy_system):
        name = asset.eClass.name
        energy = energies.get(asset.id, AssetEnergy())
        delivered_mwh += energy.demand_j / J_PER_MWH * year_factor
        if name == "Pipe":
            loss_mwh += energy.loss_j / J_PER_MWH * year_factor
        if name not in FAMILIES:
            continue
        family, carrier = FAMILIES[name]
        cost = AssetCost(asset.id, asset.name or asset.id, name)
        if name == "Pipe":
            _cost_pipe(asset, cost, used, warnings)
        else:
            _cost_unit(asset, family, carrier, energy, year_factor, cost, used, warnings)
        if cost.capex_eur and not cost.lifetime_yr:
            warnings.append(f"{cost.name}: no lifetime ({family}.lifetime), not annualised.")
        elif cost.capex_eur:
            cost.annualised_eur_yr = cost.capex_eur * annuity_factor(rate, cost.lifetime_yr)
        costs.append(cost)
    kpis = _kpis(costs, delivered_mwh, loss_mwh)
    return Costing(kpis, costs, warnings, used.used)


def _kpis(costs: list[AssetCost], delivered_mwh: float, loss_mwh: float) -> list[Kpi]:
    capex = sum(c.capex_eur for c in costs)
    opex = sum(c.fixed_om_eur_yr + c.variable_om_eur_yr + c.energy_cost_eur_yr for c in costs)
    total = sum(c.annualised_eur_yr for c in costs) + opex
    co2_t = sum(c.co2_kg_yr for c in costs) / 1e3
    kpis = [
        Kpi("capex", "Investment (CAPEX)", capex, "EUR"),
        Kpi("opex", "Operating cost per year (OPEX)", opex, "EUR/yr"),
        Kpi("total_cost", "Annualised total cost", total, "EUR/yr"),
    ]
    if delivered_mwh > 0:
        kpis.append(Kpi("lcoh", "Levelised cost of heat (LCOH)", total / delivered_mwh, "EUR/MWh"))
    kpis.append(Kpi("co2", "CO2 emissions per year", co2_t, "t/yr"))
    if delivered_mwh > 0:
        kpis.append(
            Kpi("co2_per_mwh", "CO2 per MWh delivered", co2_t * 1e3 / delivered_mwh, "kg/MWh")
        )
    kpis.append(Kpi("pipe_loss_yearly", "Pipe heat loss per year", loss_mwh, "MWh/yr"))
    producers = [c for c in costs if c.heat_mwh_yr > 0]
    # Shares of the heat that entered the system: a heat pump between two networks counts only
    # what it added to the heat it took from its primary network, which a producer there made.
    supplied = sum(c.heat_mwh_yr - c.taken_mwh_yr for c in producers)
    for c in producers:
        kpis.append(
            Kpi(f"supplied:{c.asset_id}", f"Heat supplied by {c.name}", c.heat_mwh_yr, "MWh/yr")
        )
        kpis.append(
            Kpi(
                f"share:{c.asset_id}",
                f"Share of heat from {c.name}",
                100 * (c.heat_mwh_yr - c.taken_mwh_yr) / supplied if supplied > 0 else 0.0,
                "%",
            )
        )
    bought: dict[str, float] = {}
    for c in costs:
        if c.carrier:
            bought[c.carrier] = bought.get(c.carrier, 0.0) + c.bought_mwh_yr
    for carrier, mwh in sorted(bought.items()):
        kpis.append(
            Kpi(f"bought:{carrier}", f"{CARRIER_NAMES.get(carrier, carrier)} bought", mwh, "MWh/yr")
        )
    return kpis


def suspect_zero_loss(energy_system: Any, energies: Mapping[str, AssetEnergy]) -> str | None:
    """Why a result reporting (almost) no pipe heat loss is suspect, or None.

    Kilometres of pipe carrying heat above 50 C lose heat; a total of zero means the simulator
    was not given what heat loss needs (usually pipes without insulation layers)."""
    pipes = [a for a in _assets(energy_system) if isinstance(a, esdl.Pipe)]
    length_m = sum(float(p.length or 0.0) for p in pipes)
    if length_m < 1000:
        return None
    loss_j = sum(energies.get(p.id, AssetEnergy()).loss_j for p in pipes)
    if loss_j > 0:
        return None
    supply_c = 0.0
    info = energy_system.energySystemInformation
    if info is not None and info.carriers is not None:
        for carrier in info.carriers.carrier:
            if isinstance(carrier, esdl.HeatCommodity) and carrier.eIsSet("supplyTemperature"):
                supply_c = max(supply_c, float(carrier.supplyTemperature))
    if supply_c and supply_c < 50:
        return None
    bare = [p for p in pipes if p.material is None]
    reason = (
        f"{len(bare)} of {len(pipes)} pipes have no insulation data (material layers)"
        if bare
        else "the simulator reported no heat loss for any pipe"
    )
    hot = f" at {supply_c:g} C" if supply_c else ""
    return f"Zero pipe heat loss for {length_m / 1000:,.1f} km of pipe{hot} is suspect: {reason}."
