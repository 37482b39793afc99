"""Reading a job's output series from its InfluxDB database."""

from __future__ import annotations

from dataclasses import dataclass

from apps.jobs.models import Job
from apps.results.influx import influx_client


class SeriesNotFound(LookupError):
    pass


@dataclass
class SeriesData:
    asset_id: str
    asset_name: str
    field: str
    unit: str
    points: list[tuple[int, float]]  # (epoch seconds, value in unit)


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
    )


def drop_job_results(job: Job) -> None:
    influx_client().drop_database(job.database)
