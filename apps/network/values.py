"""A job's results per asset, for colouring the network map and for an asset's summary.

A map quantity is one number per asset, read from the job's InfluxDB database in the worker's
schema (:mod:`omotes.results`: a measurement per ESDL class, tags ``asset_id``, a field per
quantity, SI units):

- an asset-level field as stored (``heat_loss``, ``heat_supplied``, ``velocity`` ...);
- a port quantity at the asset's inlet or outlet (``inlet.temperature`` reads the field
  ``<name of its first InPort>.temperature``), since each asset names its ports itself;
- ``load_factor``: heat supplied (producers) or demanded (consumers) over the asset's ESDL
  ``power``, dimensionless.

Each is read for all assets at once, one InfluxQL statement per (measurement, field) with
``GROUP BY "asset_id"``: as a period aggregate (mean, max, min; the three are read together and
cached, as a finished job's results never change) or at one moment (the last value at or
before it, within one time step).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache

from apps.jobs.models import Job
from apps.results.influx import influx_client
from apps.results.services import series_extent
from omotes.influx import quote_identifier, quote_string
from omotes.results import PORT_QUANTITIES, unit_of

AGGREGATES = ("mean", "max", "min")
MOMENT = "at"
CACHE_S = 24 * 3600
LOAD_FACTOR = "load_factor"
#: The heat flow a load factor divides by the asset's power, by asset category.
LOAD_FIELDS = {"producer": "heat_supplied", "consumer": "heat_demand"}
SIDES = {"inlet": "in", "outlet": "out"}
#: Largest number of (measurement, field) statements sent in one query.
STATEMENTS_PER_QUERY = 50


class UnknownQuantity(LookupError):
    """The job has no such map quantity (or no results at all)."""


@dataclass(frozen=True)
class Reading:
    """Where one asset's value of a map quantity is stored, and what to divide it by."""

    asset_id: str
    measurement: str
    field: str
    divisor: float = 1.0


def _power_w(feature: dict[str, Any]) -> float | None:
    for attribute in feature["properties"]["attributes"]:
        if attribute["name"] == "power" and isinstance(attribute["value"], int | float):
            return float(attribute["value"]) if attribute["value"] > 0 else None
    return None


def map_quantities(job: Job, network: dict[str, Any]) -> list[dict[str, str]]:
    """The quantities the job's map can be coloured by: key, label, unit (SI); those the job
    wrote for at least one asset of the network."""
    readings = _all_readings(job, network)
    return [
        {"key": key, "label": _label(key), "unit": _unit(key)}
        for key in sorted(readings, key=_order)
        if readings[key]
    ]


def _order(key: str) -> tuple[int, str]:
    preferred = ("heat_loss", "heat_supplied", "heat_demand", LOAD_FACTOR, "inlet.temperature")
    return (preferred.index(key) if key in preferred else len(preferred), key)


def _label(key: str) -> str:
    if key == LOAD_FACTOR:
        return "load factor (heat over installed power)"
    if "." in key:
        side, quantity = key.split(".", 1)
        return f"{quantity.replace('_', ' ')} at the {side}"
    return key.replace("_", " ")


def _unit(key: str) -> str:
    if key == LOAD_FACTOR:
        return "-"
    return unit_of(key.split(".", 1)[-1])


def _all_readings(job: Job, network: dict[str, Any]) -> dict[str, list[Reading]]:
    """Map quantity -> where each asset's value of it is stored."""
    stored: dict[str, dict[str, str]] = defaultdict(dict)  # asset_id -> field -> measurement
    for series in job.series:
        stored[series.get("asset_id", "")][series.get("field", "")] = series.get("measurement", "")
    readings: dict[str, list[Reading]] = defaultdict(list)
    for feature in network["features"]:
        props = feature["properties"]
        asset_id = props["asset_id"]
        fields = stored.get(asset_id)
        if not fields:
            continue
        for field_name, measurement in fields.items():
            if "." not in field_name:
                readings[field_name].append(Reading(asset_id, measurement, field_name))
        for side, port in SIDES.items():
            prefix = props["ports"].get(port)
            for quantity in PORT_QUANTITIES:
                field_name = f"{prefix}.{quantity}"
                if prefix and field_name in fields:
                    readings[f"{side}.{quantity}"].append(
                        Reading(asset_id, fields[field_name], field_name)
                    )
        load_field = LOAD_FIELDS.get(props["category"])
        power = _power_w(feature)
        if load_field in fields and power:
            readings[LOAD_FACTOR].append(Reading(asset_id, fields[load_field], load_field, power))
    return readings


def readings_for(job: Job, network: dict[str, Any], quantity: str) -> list[Reading]:
    found = _all_readings(job, network).get(quantity)
    if not found:
        raise UnknownQuantity(f"This job has no results {quantity!r} on its network.")
    return found


def _grouped(readings: Iterable[Reading]) -> dict[tuple[str, str], dict[str, Reading]]:
    groups: dict[tuple[str, str], dict[str, Reading]] = defaultdict(dict)
    for reading in readings:
        groups[(reading.measurement, reading.field)][reading.asset_id] = reading
    return groups


def _run(job: Job, statements: list[str]) -> list[dict]:
    results: list[dict] = []
    for start in range(0, len(statements), STATEMENTS_PER_QUERY):
        chunk = statements[start : start + STATEMENTS_PER_QUERY]
        results.extend(influx_client().query("; ".join(chunk), database=job.database))
    return results


def _collect(
    groups: dict[tuple[str, str], dict[str, Reading]], results: list[dict], columns: list[str]
) -> dict[str, dict[str, float | None]]:
    """asset_id -> column -> value divided by the reading's divisor."""
    values: dict[str, dict[str, float | None]] = {}
    for (_, readings), result in zip(groups.items(), results, strict=False):
        for series in result.get("series", []):
            reading = readings.get(series.get("tags", {}).get("asset_id", ""))
            if reading is None or not series.get("values"):
                continue
            row = dict(zip(series["columns"], series["values"][0], strict=False))
            values[reading.asset_id] = {
                column: (None if row.get(column) is None else row[column] / reading.divisor)
                for column in columns
            }
    return values


def period_values(job: Job, readings: list[Reading], quantity: str) -> dict[str, dict]:
    """asset_id -> {"mean", "max", "min"} over the whole period (cached per job and quantity)."""
    key = f"dt:network-values:{job.pk}:{hashlib.sha1(quantity.encode()).hexdigest()[:16]}"  # noqa: S324
    found = cache.get(key)
    if found is None:
        groups = _grouped(readings)
        statements = []
        for measurement, field_name in groups:
            quoted = quote_identifier(field_name)
            statements.append(
                f'SELECT MEAN({quoted}) AS "mean", MAX({quoted}) AS "max", '
                f'MIN({quoted}) AS "min" FROM {quote_identifier(measurement)} '
                f'GROUP BY "asset_id"'
            )
        found = _collect(groups, _run(job, statements), list(AGGREGATES))
        cache.set(key, found, CACHE_S)
    return found


@dataclass(frozen=True)
class Period:
    """The time axis of a job's results: first and last time (epoch s) and the step."""

    start_s: int
    end_s: int
    step_s: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": _iso(self.start_s),
            "end": _iso(self.end_s),
            "start_s": self.start_s,
            "end_s": self.end_s,
            "step_s": self.step_s,
        }


def _iso(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat().replace("+00:00", "Z")


def result_period(job: Job) -> Period | None:
    """The job's time axis, from the extent of its first series (all share one axis)."""
    key = f"dt:network-period:{job.pk}"
    found = cache.get(key)
    if found is None:
        if not job.series:
            return None
        first = job.series[0]
        extent = series_extent(job, first["asset_id"], first["field"])
        if extent.first_s is None or extent.last_s is None:
            return None
        steps = max(extent.points - 1, 1)
        step = max(round((extent.last_s - extent.first_s) / steps), 1)
        found = Period(extent.first_s, extent.last_s, step)
        cache.set(key, found, CACHE_S)
    return found


def moment_values(job: Job, readings: list[Reading], at_s: int, step_s: int) -> dict[str, float]:
    """asset_id -> its value at ``at_s`` (the last at or before it, within one step)."""
    groups = _grouped(readings)
    statements = []
    for measurement, field_name in groups:
        statements.append(
            f'SELECT LAST({quote_identifier(field_name)}) AS "at" FROM '
            f"{quote_identifier(measurement)} WHERE time <= {int(at_s)}s AND "
            f'time > {int(at_s) - int(step_s)}s GROUP BY "asset_id"'
        )
    collected = _collect(groups, _run(job, statements), [MOMENT])
    return {asset_id: row[MOMENT] for asset_id, row in collected.items()}


def asset_summary(job: Job, asset_id: str) -> list[dict[str, Any]]:
    """Mean, max and min of each output of one asset over the period, in SI units; [] when the
    job wrote none for it."""
    series = [s for s in job.series if s.get("asset_id") == asset_id]
    if not series:
        return []
    key = f"dt:network-asset:{job.pk}:{hashlib.sha1(asset_id.encode()).hexdigest()[:16]}"  # noqa: S324
    found = cache.get(key)
    if found is not None:
        return found
    by_measurement: dict[str, list[dict]] = defaultdict(list)
    for entry in series:
        by_measurement[entry["measurement"]].append(entry)
    statements = []
    for measurement, entries in by_measurement.items():
        columns = ", ".join(
            f'{function}({quote_identifier(e["field"])}) AS "{function.lower()}_{i}"'
            for i, e in enumerate(entries)
            for function in ("MEAN", "MAX", "MIN")
        )
        statements.append(
            f"SELECT {columns} FROM {quote_identifier(measurement)} "
            f"WHERE {quote_identifier('asset_id')} = {quote_string(asset_id)}"
        )
    results = _run(job, statements)
    found = []
    for (_, entries), result in zip(by_measurement.items(), results, strict=False):
        rows = result.get("series") or [{}]
        row = dict(
            zip(rows[0].get("columns", []), (rows[0].get("values") or [[]])[0], strict=False)
        )
        for i, entry in enumerate(entries):
            found.append(
                {
                    "field": entry["field"],
                    "unit": entry.get("unit", ""),
                    "mean": row.get(f"mean_{i}"),
                    "max": row.get(f"max_{i}"),
                    "min": row.get(f"min_{i}"),
                }
            )
    # Asset-level quantities before the per-port ones, as the job chart lists them.
    found.sort(key=lambda r: ("." in r["field"], r["field"]))
    cache.set(key, found, CACHE_S)
    return found
