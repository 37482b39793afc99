"""One quantity summed over every asset that has it (total heat demand of all consumers...).

A job page draws the producers' heat stacked against the total demand; a network of 1,000
consumers would otherwise mean 1,000 series sent to the browser to add up there. The sum runs in
InfluxDB instead: one ``SUM ... GROUP BY time(<step>)`` per measurement holding the field (all
statements in one request), the per-measurement sums then added per time step here.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.jobs.models import Job
from apps.results.influx import influx_client
from apps.results.quantities import describe_field
from apps.results.services import SeriesNotFound, series_extent
from omotes.influx import quote_identifier


@dataclass
class SeriesTotal:
    field: str
    unit: str
    assets: int
    points: list[tuple[int, float]]  # (epoch seconds, sum of the assets' values in unit)
    quantity: dict


def step_seconds(first_s: int, last_s: int, points: int) -> int:
    """The time step of an equidistant series (results are): 3600 for hourly points."""
    if points < 2 or last_s <= first_s:
        return 1
    return max(1, round((last_s - first_s) / (points - 1)))


def read_total(job: Job, field: str) -> SeriesTotal:
    """``field`` summed over all the job's assets that have it, per time step.

    Raises SeriesNotFound when no asset has the field. Steps where no asset has a value are left
    out; a step where only some have one sums those (InfluxDB's SUM skips missing values).
    """
    entries = [s for s in job.series if s.get("field") == field]
    if not entries:
        raise SeriesNotFound(f"Job has no series {field!r}.")
    first = entries[0]
    extent = series_extent(job, first["asset_id"], field)
    quantity = describe_field(field, first.get("asset_class", ""), first.get("unit", ""))
    total = SeriesTotal(field, first.get("unit", ""), len(entries), [], quantity)
    if extent.first_s is None or extent.last_s is None:
        return total
    step = step_seconds(extent.first_s, extent.last_s, extent.points)
    # Buckets start on the series' own time steps (offset), so each sum keeps its step's time.
    measurements = sorted({s["measurement"] for s in entries})
    statements = [
        f"SELECT SUM({quote_identifier(field)}) FROM {quote_identifier(m)} "
        f"WHERE time >= {extent.first_s}s AND time <= {extent.last_s}s "
        f"GROUP BY time({step}s, {extent.first_s % step}s) fill(none)"
        for m in measurements
    ]
    sums: dict[int, float] = {}
    for result in influx_client().query("; ".join(statements), database=job.database):
        for found in result.get("series", []):
            for t, value in found.get("values", []):
                if value is not None:
                    sums[int(t)] = sums.get(int(t), 0.0) + float(value)
    total.points = sorted(sums.items())
    return total
