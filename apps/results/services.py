"""Reading a job's output series from its InfluxDB database."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field

from apps.jobs.models import Job
from apps.results.influx import influx_client
from apps.results.quantities import describe_field
from omotes.influx import quote_identifier, quote_string


class SeriesNotFound(LookupError):
    pass


@dataclass
class SeriesData:
    asset_id: str
    asset_name: str
    field: str
    unit: str
    points: list[tuple[int, float]]  # (epoch seconds, value in unit)
    quantity: dict = dataclass_field(default_factory=dict)  # see quantities.describe_field


def find_series(job: Job, asset_id: str, field: str) -> dict:
    for series in job.series:
        if series.get("asset_id") == asset_id and series.get("field") == field:
            return series
    raise SeriesNotFound(f"Job has no series {field!r} for asset {asset_id!r}.")


def read_series(job: Job, asset_id: str, field: str) -> SeriesData:
    """All points of one output series, in time order."""
    series = find_series(job, asset_id, field)
    points = list(
        influx_client().select_series(
            job.database, series["measurement"], field, {"asset_id": asset_id}
        )
    )
    return SeriesData(
        asset_id=asset_id,
        asset_name=series.get("asset_name", ""),
        field=field,
        unit=series.get("unit", ""),
        points=points,
        quantity=describe_field(field, series.get("asset_class", ""), series.get("unit", "")),
    )


# -- range reads and server-side reduction (comparison charts) -------------------------------------


@dataclass(frozen=True)
class SeriesExtent:
    """First and last time (epoch s) and number of points of one stored series."""

    first_s: int | None
    last_s: int | None
    points: int


def _series_where(asset_id: str, start_s: int | None = None, end_s: int | None = None) -> str:
    where = f"{quote_identifier('asset_id')} = {quote_string(asset_id)}"
    if start_s is not None:
        where += f" AND time >= {int(start_s)}s"
    if end_s is not None:
        where += f" AND time <= {int(end_s)}s"
    return where


def series_extent(job: Job, asset_id: str, field: str, client=None) -> SeriesExtent:
    """The stored extent of one series, in one round trip (three InfluxQL statements).

    A selector (FIRST/LAST) alone in a statement returns the time of the point it selects.
    """
    series = find_series(job, asset_id, field)
    target = f"{quote_identifier(field)}) FROM {quote_identifier(series['measurement'])}"
    where = _series_where(asset_id)
    statements = [
        f"SELECT FIRST({target} WHERE {where}",
        f"SELECT LAST({target} WHERE {where}",
        f"SELECT COUNT({target} WHERE {where}",
    ]
    results = (client or influx_client()).query("; ".join(statements), database=job.database)

    def first_row(result: dict) -> list | None:
        found = result.get("series") or []
        return found[0]["values"][0] if found and found[0].get("values") else None

    first, last, count = (first_row(r) for r in results) if len(results) == 3 else (None,) * 3
    return SeriesExtent(
        first_s=int(first[0]) if first else None,
        last_s=int(last[0]) if last else None,
        points=int(count[1]) if count else 0,
    )


def read_series_range(
    job: Job, asset_id: str, field: str, start_s: int | None, end_s: int | None, client=None
) -> list[tuple[int, float]]:
    """The raw points (epoch s, value) of one series within ``[start_s, end_s]``, in time order."""
    series = find_series(job, asset_id, field)
    influxql = (
        f"SELECT {quote_identifier(field)} FROM {quote_identifier(series['measurement'])} "
        f"WHERE {_series_where(asset_id, start_s, end_s)}"
    )
    points: list[tuple[int, float]] = []
    for result in (client or influx_client()).query(influxql, database=job.database):
        for found in result.get("series", []):
            points.extend((int(t), float(v)) for t, v in found.get("values", []) if v is not None)
    return points
