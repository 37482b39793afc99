"""Write a workflow's output to the job's InfluxDB database and reference it from the output ESDL.

Schema, chosen so that 1,000 assets x 10 quantities x 8,760 hours (87.6 M values) stays cheap to
write and to read:

- one database per job, created with one shard for all time (:data:`JOB_SHARD_DURATION`)
  instead of InfluxDB's weekly shards: a simulated year would otherwise be 53 shards, each with
  its own index and TSM files, blocks of at most 168 points per series, and every write batch
  (5,000 hours of one asset) touching 30 of them;
- measurement = the asset's ESDL class name (``HeatingDemand``, ``Pipe``, ``GenericProducer``...);
  a few measurements per job instead of one per carrier keeps the series index small and lets the
  frontend ask "all pipes' heat loss" in one query;
- tags ``asset_id`` and ``asset_name`` (one series per asset and field);
- one field per quantity: port-level quantities (mass flow, pressure, temperature, volume flow)
  are called ``<PortName>.<quantity>``, asset-level ones (heat demand, heat loss, velocity...) keep
  their plain name.

So every (asset, time step) is one line holding all of that asset's fields, ~10x fewer lines
(and HTTP bytes, and parsing in InfluxDB) than one line per value. Encoding is column-wise: each
value becomes fixed-width text with 9 significant digits (:mod:`omotes.float_text`), made by
numpy for a whole asset at once and laid into the bytes of its lines, cut into HTTP bodies of
:data:`BATCH_LINES` lines (:func:`encode_asset`). Rows holding NaN or infinity go through
:func:`omotes.influx.encode_line`, which drops such values (InfluxDB cannot store them). The
bodies go out on :data:`WRITERS` concurrent HTTP connections while the next asset is encoded.
Measured on this 2-core machine: see ``bench/README.md`` (``ingest.py``).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
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

from omotes.float_text import WIDTH, fits, fixed_width
from omotes.influx import InfluxClient, encode_line, escape_key, escape_measurement
from omotes.metrics import INFLUX_WRITE_VALUES
from omotes.protocol import SeriesDescription, WorkflowError

logger = logging.getLogger(__name__)

#: Shard group duration of a job database: one shard for any period from 1970 to 2161.
JOB_SHARD_DURATION = "10000w"
#: Lines per HTTP write (one line = one asset and time step, all its fields). Measured on
#: InfluxDB 1.6.7 here: 5,000 lines (~1.7 MB) beat 10,000 and 20,000; 2 connections beat 1 and 4.
BATCH_LINES = 5_000
WRITERS = 2
#: Bodies in flight or queued per writer (see :func:`write_batches`).
QUEUED_PER_WRITER = 3

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
class OutputColumn:
    """One output column of an asset and the field it is written to."""

    column: Any  # the DataFrame column key (port_id, quantity)
    port: Any  # the esdl.Port its output profile is attached to
    quantity: str
    field: str


@dataclass
class AssetOutput:
    """What is written for one asset: its columns, in the order of its block of values (see
    :func:`write_outputs`); the measurement is the asset's ESDL class name."""

    asset: Any  # esdl.Asset
    columns: list[OutputColumn] = field(default_factory=list)

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
) -> list[AssetOutput]:
    """Group the simulator's ``(port_id, quantity)`` columns per asset and name their fields."""
    es = _energy_system(energy_system)
    port_owner: dict[str, tuple[Any, Any]] = {}
    prefixes: dict[str, dict[str, str]] = {}
    for obj in es.eAllContents():
        if isinstance(obj, esdl.Asset):
            prefixes[obj.id] = port_field_names(obj)
            for port in obj.port:
                port_owner[port.id] = (obj, port)

    outputs: dict[str, AssetOutput] = {}
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
        output = outputs.setdefault(asset.id, AssetOutput(asset))
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
        output.columns.append(OutputColumn(column, profile_port, quantity, name))
    if unknown:
        logger.warning("Ignoring output of %d ports not found in the ESDL", len(unknown))
    return list(outputs.values())


def _line_pieces(output: AssetOutput) -> tuple[list[str], dict[str, str], list[str]]:
    """The text before each field's value on a line (the first also holds measurement and
    tags), the tags, and the field names."""
    tags = {"asset_id": str(output.asset.id), "asset_name": str(output.asset.name or "")}
    names = [c.field for c in output.columns]
    tag_text = "".join(
        f",{escape_key(key)}={escape_key(value)}" for key, value in sorted(tags.items()) if value
    )
    head = f"{escape_measurement(output.measurement)}{tag_text} "
    before = [f"{head if i == 0 else ','}{escape_key(name)}=" for i, name in enumerate(names)]
    return before, tags, names


@dataclass(frozen=True, eq=False)
class Timeline:
    """The time steps of a write (made once for all the assets of a job): their epoch seconds
    and, for each run of steps whose line ends (" <seconds>\\n") are equally long, those ends
    as a (steps, bytes) array (one run unless the period crosses a power of ten in seconds)."""

    seconds: tuple[int, ...]
    runs: tuple[tuple[int, int, np.ndarray], ...]  # first step, step after the last, line ends

    @classmethod
    def of(cls, seconds: Iterable[int]) -> Timeline:
        seconds = tuple(int(s) for s in seconds)
        ends = [f" {s}\n".encode() for s in seconds]
        runs, first = [], 0
        for step in range(1, len(ends) + 1):
            if step == len(ends) or len(ends[step]) != len(ends[first]):
                block = np.frombuffer(b"".join(ends[first:step]), dtype=np.uint8)
                runs.append((first, step, block.reshape(step - first, -1)))
                first = step
        return cls(seconds, tuple(runs))


@dataclass(frozen=True)
class Body:
    """One HTTP write: ``lines`` lines of line protocol, each ended by a line break."""

    lines: int
    data: bytes


def encode_asset(
    output: AssetOutput,
    values: np.ndarray,
    timeline: Timeline,
    lines_per_body: int = BATCH_LINES,
) -> list[Body]:
    """Line protocol for one asset, one line per time step with all of its fields, cut into
    bodies of at most ``lines_per_body`` lines.

    ``values`` is (steps x fields) float64. Each value is fixed-width text
    (:mod:`omotes.float_text`), so every line of a run of the timeline has the same length and
    is laid down as one row of a byte array: the text before each field and each field's values
    by column, the line ends, and a body is the bytes of its rows; no Python object per line or
    value (see the module docstring for what that saved). A row holding a value that text cannot
    hold (NaN, infinity, magnitudes past 1e100 or below 1e-99) is encoded by ``encode_line``,
    which drops NaN and infinity (and the whole line when none is left) and writes the others
    as ``repr`` does.
    """
    before, tags, names = _line_pieces(output)
    steps = len(timeline.seconds)
    if steps == 0 or not names:
        return []
    values = np.asarray(values, dtype=np.float64)
    fit = fits(values)
    plain = fit.all(axis=1)
    texts = fixed_width(np.where(fit, values, 0.0)).reshape(steps, len(names), WIDTH)
    prefixes = [np.frombuffer(text.encode("utf-8"), dtype=np.uint8) for text in before]
    bodies = []
    for first, after, ends in timeline.runs:
        lines = _fixed_lines(prefixes, texts[first:after], ends)
        for start in range(first, after, lines_per_body):
            stop = min(start + lines_per_body, after)
            if plain[start:stop].all():
                bodies.append(Body(stop - start, lines[start - first : stop - first].tobytes()))
                continue
            parts = []
            for step in range(start, stop):
                if plain[step]:
                    parts.append(lines[step - first].tobytes())
                    continue
                row = dict(zip(names, values[step].tolist(), strict=True))
                line = encode_line(output.measurement, tags, row, timeline.seconds[step])
                if line is not None:
                    parts.append(f"{line}\n".encode())
            if parts:
                bodies.append(Body(len(parts), b"".join(parts)))
    return bodies


def _fixed_lines(prefixes: list[np.ndarray], texts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The lines of a run of steps as a (steps, bytes) array: before each field its prefix (the
    measurement and tags before the first), then its value's text; the line end last. The
    prefixes are one row copied to every line, then the values go into their columns."""
    width = sum(len(p) for p in prefixes) + WIDTH * len(prefixes) + ends.shape[1]
    template = np.empty(width, dtype=np.uint8)
    columns, at = [], 0
    for prefix in prefixes:
        template[at : at + len(prefix)] = prefix
        at += len(prefix)
        columns.append(at)
        at += WIDTH
    lines = np.empty((len(ends), width), dtype=np.uint8)
    lines[:] = template
    for field_index, at in enumerate(columns):
        lines[:, at : at + WIDTH] = texts[:, field_index]
    lines[:, at + WIDTH :] = ends
    return lines


def _describe(output: AssetOutput, column: OutputColumn, points: int) -> SeriesDescription:
    return SeriesDescription(
        asset_id=str(output.asset.id),
        asset_name=str(output.asset.name or ""),
        asset_class=output.measurement,
        measurement=output.measurement,
        field=column.field,
        unit=unit_of(column.quantity),
        points=points,
    )


def write_batches(
    client: InfluxClient,
    database: str,
    bodies: Iterable[Body],
    writers: int = WRITERS,
    compress: bool = False,
) -> int:
    """Send bodies on ``writers`` concurrent connections; returns the lines written.

    The caller's thread produces (encodes) the next bodies while up to ``writers`` requests are
    in flight: most of a large write is InfluxDB ingesting, and the HTTP calls release the GIL,
    so encoding hides behind it. Up to :data:`QUEUED_PER_WRITER` bodies a writer wait their
    turn, so a writer that finishes starts the next at once instead of waiting for the caller's
    thread to come round (at 200 assets InfluxDB then got 1.6 cores instead of 1.5). Each writer
    thread has its own client (a ``requests`` session is not for concurrent use). At most
    ``QUEUED_PER_WRITER x writers`` bodies (about 2 MB each) and the asset being encoded are
    held in memory.
    """
    local = threading.local()

    def send(body: Body) -> int:
        own = getattr(local, "client", None)
        if own is None:
            own = local.client = InfluxClient(client.settings)
        own.write_body(database, body.data, compress=compress)
        return body.lines

    written = 0
    with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="influx-write") as pool:
        pending: deque[Future[int]] = deque()
        try:
            for body in bodies:
                if len(pending) >= QUEUED_PER_WRITER * writers:
                    written += pending.popleft().result()
                pending.append(pool.submit(send, body))
            while pending:
                written += pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
    return written


def write_outputs(
    outputs: Sequence[AssetOutput],
    values_of: Callable[[AssetOutput], np.ndarray],
    start: datetime,
    timestep_s: int,
    steps: int,
    client: InfluxClient,
    database: str,
    *,
    add_profiles: bool = True,
    on_asset: Callable[[int], None] | None = None,
) -> list[SeriesDescription]:
    """Write each planned asset's values to ``database``; the core of :func:`write_results`.

    ``values_of(output)`` returns that asset's (steps x len(output.columns)) float block; it is
    called once per asset, in order, so a workflow can compute values as they are written and
    memory stays at one asset's worth. Row ``i`` is ``start + i * timestep_s`` (``start``
    timezone-aware). The database is created first (a no-op if it exists) with one shard for all
    time. Returns one :class:`SeriesDescription` per series with at least one finite value; with
    ``add_profiles`` an ``esdl.InfluxDBProfile`` per series is appended to the port the value
    belongs to (asset-level quantities: the asset's first port). ``on_asset(done)`` is called
    after each asset is encoded (for progress).
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start_s = int(start.timestamp())
    timeline = Timeline.of(start_s + i * int(timestep_s) for i in range(steps))
    end = start + timedelta(seconds=int(timestep_s) * max(steps - 1, 0))

    client.create_database(database, shard_duration=JOB_SHARD_DURATION)
    series: list[SeriesDescription] = []

    def bodies() -> Iterator[Body]:
        for done, output in enumerate(outputs, start=1):
            values = np.asarray(values_of(output), dtype=np.float64)
            if values.shape != (steps, len(output.columns)):
                raise ValueError(
                    f"values of {output.asset.id}: shape {values.shape}, "
                    f"expected {(steps, len(output.columns))}"
                )
            finite_counts = np.isfinite(values).sum(axis=0).tolist()
            written_columns = [
                (column, _describe(output, column, int(points)))
                for column, points in zip(output.columns, finite_counts, strict=True)
                if points
            ]
            series.extend(description for _, description in written_columns)
            yield from encode_asset(output, values, timeline)
            # While this asset's bodies are on their way (the profiles of 1,000 assets took
            # 1.8 s, which came on top of the write when they were added after it).
            if add_profiles:
                for column, description in written_columns:
                    column.port.profile.append(
                        output_profile(client, database, description, start, end)
                    )
            if on_asset is not None:
                on_asset(done)

    written = write_batches(client, database, bodies())
    INFLUX_WRITE_VALUES.inc(sum(s.points for s in series))
    logger.info(
        "Wrote %d lines (%d series, %d assets) to %s", written, len(series), len(outputs), database
    )
    return series


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

    ``frame``'s columns are the simulator's ``(port_id, quantity)`` pairs; row ``i`` is
    ``start + i * timestep_s`` (``start`` timezone-aware). See :func:`write_outputs`.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    outputs = plan_outputs(energy_system, list(frame.columns))
    positions = {column: i for i, column in enumerate(frame.columns)}

    def values_of(output: AssetOutput) -> np.ndarray:
        block = frame.iloc[:, [positions[c.column] for c in output.columns]]
        return block.to_numpy(dtype=np.float64, na_value=np.nan)

    return write_outputs(
        outputs,
        values_of,
        start,
        timestep_s,
        len(frame.index),
        client,
        database,
        add_profiles=add_profiles,
    )


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
