"""Write a simulator's output to the job's InfluxDB database and reference it from the output ESDL.

Schema, chosen so that 1,000 assets x 10 quantities x 8,760 hours stays cheap to write and to read:

- measurement = the asset's ESDL class name (``HeatingDemand``, ``Pipe``, ``GenericProducer``...);
  a few measurements per job instead of one per carrier keeps the series index small and lets the
  frontend ask "all pipes' heat loss" in one query;
- tags ``asset_id`` and ``asset_name`` (one series per asset and field);
- one field per quantity: port-level quantities (mass flow, pressure, temperature, volume flow)
  are called ``<PortName>.<quantity>``, asset-level ones (heat demand, heat loss, velocity...) keep
  their plain name.

So every (asset, time step) is one line holding all of that asset's fields, which is ~10x fewer
lines (and HTTP bytes) than one line per value. Lines are built from numpy arrays per asset with
one ``str.format`` call per row; rows holding NaN or infinity fall back to
:func:`omotes.influx.encode_line`, which drops such values (InfluxDB cannot store them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import esdl
import numpy as np
import pandas as pd
from esdl.esdl_handler import EnergySystemHandler
from esdl.profiles.influxdbprofilemanager import InfluxDBProfileManager

from omotes.influx import (
    InfluxClient,
    _escape_key,
    _escape_measurement,
    encode_line,
)
from omotes.workflows.base import SeriesDescription, WorkflowError

logger = logging.getLogger(__name__)

#: Quantities the simulator reports on every port; stored as ``<PortName>.<quantity>``.
PORT_QUANTITIES: frozenset[str] = frozenset({"mass_flow", "pressure", "temperature", "volume_flow"})

#: Unit of each quantity the simulator reports (all SI); anything unknown is "-".
QUANTITY_UNITS: dict[str, str] = {
    "mass_flow": "kg/s",
    "pressure": "Pa",
    "temperature": "K",
    "volume_flow": "m3/s",
    "heat_demand": "W",
    "heat_demand_set_point": "W",
    "heat_supplied": "W",
    "heat_supply_set_point": "W",
    "heat_loss": "W",
    "heat_power_primary": "W",
    "heat_power_secondary": "W",
    "electricity_consumption": "W",
    "thermal_power": "W",
    "velocity": "m/s",
    "pressure_loss": "Pa",
    "pressure_loss_per_length": "Pa/m",
    "temperature_in": "K",
    "temperature_out": "K",
    "buffer_hot_temperature": "K",
    "buffer_cold_temperature": "K",
    "volume": "m3",
    "fill_level": "-",
}


def unit_of(quantity: str) -> str:
    """The unit string of a simulator quantity ("-" when unknown or dimensionless)."""
    return QUANTITY_UNITS.get(quantity, "-")


def quantity_and_unit(unit: str) -> esdl.QuantityAndUnitType:
    """An ESDL ``QuantityAndUnitType`` for one of the unit strings in :data:`QUANTITY_UNITS`.

    Output profiles carry their unit so that an ESDL consumer (MapEditor, KPI calculators, this
    simulator's own profile reader) interprets the values without guessing.
    """
    q = esdl.PhysicalQuantityEnum
    u = esdl.UnitEnum
    t = esdl.TimeUnitEnum
    spec: dict[str, dict[str, Any]] = {
        "W": {"physicalQuantity": q.POWER, "unit": u.WATT},
        "K": {"physicalQuantity": q.TEMPERATURE, "unit": u.KELVIN},
        "Pa": {"physicalQuantity": q.PRESSURE, "unit": u.PASCAL},
        "kg/s": {
            "physicalQuantity": q.FLOW,
            "unit": u.GRAM,
            "multiplier": esdl.MultiplierEnum.KILO,
            "perTimeUnit": t.SECOND,
        },
        "m3/s": {"physicalQuantity": q.FLOW, "unit": u.CUBIC_METRE, "perTimeUnit": t.SECOND},
        "m/s": {"physicalQuantity": q.SPEED, "unit": u.METRE, "perTimeUnit": t.SECOND},
        "Pa/m": {"physicalQuantity": q.PRESSURE, "unit": u.PASCAL, "perUnit": u.METRE},
        "m3": {"physicalQuantity": q.VOLUME, "unit": u.CUBIC_METRE},
    }.get(unit, {"physicalQuantity": q.COEFFICIENT, "unit": u.NONE})
    return esdl.QuantityAndUnitType(id=str(uuid4()), description=unit, **spec)


@dataclass
class _Column:
    """One output column mapped to the field it is written to."""

    column: Any  # the DataFrame column key (port_id, quantity)
    port: Any  # the esdl.Port its output profile is attached to
    quantity: str
    field: str


@dataclass
class _AssetOutput:
    asset: Any  # esdl.Asset
    columns: list[_Column] = field(default_factory=list)

    @property
    def measurement(self) -> str:
        return type(self.asset).__name__


def _energy_system(source: esdl.EnergySystem | EnergySystemHandler) -> esdl.EnergySystem:
    if isinstance(source, EnergySystemHandler):
        return source.energy_system
    return source


def port_field_names(asset: Any) -> dict[str, str]:
    """Field prefix of each port of an asset: its name, or "In"/"Out" when unnamed, made unique.

    Two ports with the same name (e.g. a heat exchanger with two "In" ports) get "In", "In_2".
    """
    names: dict[str, str] = {}
    used: set[str] = set()
    for port in asset.port:
        base = (port.name or "").strip() or ("In" if isinstance(port, esdl.InPort) else "Out")
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}_{n}"
        used.add(name)
        names[port.id] = name
    return names


def plan_outputs(
    energy_system: esdl.EnergySystem | EnergySystemHandler, columns: Sequence[Any]
) -> list[_AssetOutput]:
    """Group the simulator's ``(port_id, quantity)`` columns per asset and name their fields."""
    es = _energy_system(energy_system)
    port_owner: dict[str, tuple[Any, Any]] = {}
    prefixes: dict[str, dict[str, str]] = {}
    for obj in es.eAllContents():
        if isinstance(obj, esdl.Asset):
            prefixes[obj.id] = port_field_names(obj)
            for port in obj.port:
                port_owner[port.id] = (obj, port)

    outputs: dict[str, _AssetOutput] = {}
    unknown: set[str] = set()
    for column in columns:
        if not (isinstance(column, tuple) and len(column) == 2):
            logger.warning("Ignoring output column %r: not a (port id, quantity) pair", column)
            continue
        port_id, quantity = str(column[0]), str(column[1])
        if port_id not in port_owner:
            unknown.add(port_id)
            continue
        asset, port = port_owner[port_id]
        output = outputs.setdefault(asset.id, _AssetOutput(asset))
        prefix = prefixes[asset.id][port_id]
        if quantity in PORT_QUANTITIES:
            name, profile_port = f"{prefix}.{quantity}", port
        else:
            # Asset-level: the simulator puts these on one port (pipes: heat and pressure loss
            # on the outlet); their profile goes on the asset's first port, where readers look.
            name, profile_port = quantity, asset.port[0]
        if any(c.field == name for c in output.columns):
            # An asset-level quantity reported on two ports (a pipe's velocity): keep both.
            name, profile_port = f"{prefix}.{quantity}", port
        output.columns.append(_Column(column, profile_port, quantity, name))
    if unknown:
        logger.warning("Ignoring output of %d ports not found in the ESDL", len(unknown))
    return list(outputs.values())


def _asset_lines(output: _AssetOutput, values: np.ndarray, timestamps: list[int]) -> Iterator[str]:
    """Line protocol for one asset: one line per time step with all of its fields.

    ``values`` is (steps x fields). Fully finite rows use a precomputed template (same text as
    ``encode_line`` would produce); other rows go through ``encode_line``, which drops NaN/inf.
    """
    tags = {"asset_id": str(output.asset.id), "asset_name": str(output.asset.name or "")}
    names = [c.field for c in output.columns]
    tag_text = "".join(
        f",{_escape_key(key)}={_escape_key(value)}" for key, value in sorted(tags.items()) if value
    )
    head = f"{_escape_measurement(output.measurement)}{tag_text} "
    template = (
        _brace_safe(head)
        + ",".join(_brace_safe(_escape_key(name)) + "={!r}" for name in names)
        + " {}"
    )
    finite_rows = np.isfinite(values).all(axis=1)
    rows = values.tolist()
    fmt = template.format
    for i, row in enumerate(rows):
        if finite_rows[i]:
            yield fmt(*row, timestamps[i])
        else:
            line = encode_line(
                output.measurement, tags, dict(zip(names, row, strict=True)), timestamps[i]
            )
            if line is not None:
                yield line


def _brace_safe(text: str) -> str:
    """``text`` with braces doubled so it survives ``str.format`` literally."""
    return text.replace("{", "{{").replace("}", "}}")


def _describe(output: _AssetOutput, column: _Column, points: int) -> SeriesDescription:
    return SeriesDescription(
        asset_id=str(output.asset.id),
        asset_name=str(output.asset.name or ""),
        asset_class=output.measurement,
        measurement=output.measurement,
        field=column.field,
        unit=unit_of(column.quantity),
        points=points,
    )


def write_pipelined(
    client: InfluxClient, database: str, lines: Iterable[str], batch_size: int = 20_000
) -> int:
    """``client.write_lines`` with encoding and writing overlapped; returns the lines written.

    One batch is sent by a helper thread while the caller's thread encodes the next one. Most of
    the time of a large write is spent waiting for InfluxDB to ingest a batch (measured: ~2/3),
    and the HTTP call releases the GIL, so this hides the encoding time almost completely. Only
    one request is in flight at a time, so the client's session is never used concurrently.
    """
    written = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="influx-write") as pool:
        pending: Future[int] | None = None
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= batch_size:
                if pending is not None:
                    written += pending.result()
                pending = pool.submit(client.write_lines, database, batch, batch_size)
                batch = []
        if pending is not None:
            written += pending.result()
        if batch:
            written += client.write_lines(database, batch, batch_size)
    return written


def write_results(
    energy_system: esdl.EnergySystem | EnergySystemHandler,
    frame: pd.DataFrame,
    start: datetime,
    timestep_s: int,
    client: InfluxClient,
    database: str,
    *,
    add_profiles: bool = True,
) -> list[SeriesDescription]:
    """Write the simulator output to ``database`` and (optionally) reference it from the ESDL.

    Row ``i`` of ``frame`` is ``start + i * timestep_s``; ``start`` must be timezone-aware. The
    database is created first (a no-op if it exists). Returns one :class:`SeriesDescription`
    per series with at least one finite value. With ``add_profiles`` an ``esdl.InfluxDBProfile``
    per series is appended to the port the value belongs to (asset-level quantities: the asset's
    first port), so the output ESDL is self-describing.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    outputs = plan_outputs(energy_system, list(frame.columns))
    steps = len(frame.index)
    start_s = int(start.timestamp())
    timestamps = [start_s + i * int(timestep_s) for i in range(steps)]
    end = start + timedelta(seconds=int(timestep_s) * max(steps - 1, 0))

    client.create_database(database)
    positions = {column: i for i, column in enumerate(frame.columns)}
    series: list[SeriesDescription] = []

    def lines() -> Iterator[str]:
        # One asset's (steps x fields) block at a time, so memory stays at one asset's worth.
        for output in outputs:
            block = frame.iloc[:, [positions[c.column] for c in output.columns]]
            values = block.to_numpy(dtype=np.float64, na_value=np.nan)
            finite_counts = np.isfinite(values).sum(axis=0).tolist()
            for column, points in zip(output.columns, finite_counts, strict=True):
                if points:
                    series.append(_describe(output, column, int(points)))
            yield from _asset_lines(output, values, timestamps)

    written = write_pipelined(client, database, lines())
    logger.info(
        "Wrote %d lines (%d series, %d assets) to %s", written, len(series), len(outputs), database
    )

    if add_profiles:
        by_key = {(s.asset_id, s.field): s for s in series}
        for output in outputs:
            for column in output.columns:
                description = by_key.get((str(output.asset.id), column.field))
                if description is not None:
                    column.port.profile.append(
                        output_profile(client, database, description, start, end)
                    )
    return series


def output_profile(
    client: InfluxClient,
    database: str,
    description: SeriesDescription,
    start: datetime,
    end: datetime,
) -> esdl.InfluxDBProfile:
    """An ``esdl.InfluxDBProfile`` pointing at one written series.

    ``filters`` uses the format pyesdl's ``InfluxDBProfileManager`` writes and parses
    (``tag='value'`` joined by `` AND ``), so pyesdl-based readers select exactly this asset.
    """
    settings = client.settings
    host = settings.host
    if settings.url.startswith("https://"):
        # pyesdl/the simulator switch SSL on when the host names the https scheme.
        host = f"https://{host}"
    return esdl.InfluxDBProfile(
        id=str(uuid4()),
        name=f"{description.asset_name or description.asset_id} {description.field}",
        host=host,
        port=settings.port,
        database=database,
        measurement=description.measurement,
        field=description.field,
        filters=InfluxDBProfileManager._create_esdl_filters_from_tags_dict(
            {"asset_id": description.asset_id}
        ),
        startDate=start,
        endDate=end,
        multiplier=1.0,
        profileQuantityAndUnit=quantity_and_unit(description.unit),
    )


def profile_label(profile: esdl.InfluxDBProfile) -> str:
    owner = profile.eContainer()
    asset = owner.eContainer() if isinstance(owner, esdl.Port) else owner
    name = getattr(asset, "name", None) or getattr(asset, "id", None) or "?"
    return f"profile '{profile.measurement}'.'{profile.field}' of {name}"


def profile_tags(profile: esdl.InfluxDBProfile) -> dict[str, str]:
    """The ESDL ``filters`` (``tag='value' AND ...``) as tag -> value, quotes removed."""
    if not profile.filters:
        return {}
    try:
        parsed = InfluxDBProfileManager._parse_esdl_profile_filters(str(profile.filters))
    except Exception as exc:  # pyesdl raises its own WrongFilterFormatException
        raise WorkflowError(
            f"The filters {profile.filters!r} of {profile_label(profile)} cannot be parsed"
        ) from exc
    tags: dict[str, str] = {}
    for item in parsed:
        key = str(item.get("tag") or item.get("key") or "").strip().strip('"')
        value = str(item.get("value", "")).strip().strip("'").strip('"')
        if key:
            tags[key] = value
    return tags
