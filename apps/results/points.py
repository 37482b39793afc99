"""A job's series as arrays, kept in Redis after their first read from InfluxDB.

InfluxDB stays the store of record (outside systems read it); this is a derived copy of the
series a chart has asked for. A comparison reads one series of 10 jobs at a time, zooms and
re-reduces it many times: InfluxDB answered each read of a year of hourly points in ~45-100 ms
(plus decoding) on this 2-core machine, Redis answers all 10 in a few ms, and the reduction
(:func:`apps.results.reduction.reduce_min_max`, held against InfluxDB's by the tests) takes
about a millisecond in NumPy. A succeeded job's results never change; they are only deleted,
and :func:`forget_points` (called wherever results are dropped) removes the copies with them.

Stored per series as one bytes value: the times (epoch s; first time and step when equidistant,
as results are) then the ``float64`` values, about 70 kB for a year of hours. Only series someone
looked at are stored, for :data:`POINTS_TTL_S`.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from apps.jobs.models import Job
from apps.results import series_cache
from apps.results.influx import influx_client
from apps.results.services import read_series_range

#: Header of a series with equidistant times: a marker, the first time and the step (epoch s).
_EVEN = struct.Struct("<cqq")


@dataclass(frozen=True)
class Points:
    """One series: ascending ``times`` (epoch s, int64) and their ``values`` (float64)."""

    times: np.ndarray
    values: np.ndarray

    def between(self, start_s: int | None, end_s: int | None) -> Points:
        """The points within ``[start_s, end_s]`` (either open when None); views, not copies."""
        lo = 0 if start_s is None else int(np.searchsorted(self.times, start_s, "left"))
        hi = len(self.times) if end_s is None else int(np.searchsorted(self.times, end_s, "right"))
        return Points(self.times[lo:hi], self.values[lo:hi])

    def to_bytes(self) -> bytes:
        """Equidistant times (results are) as first time and step, else every time."""
        values = self.values.astype("<f8").tobytes()
        steps = np.diff(self.times)
        if len(self.times) > 1 and np.all(steps == steps[0]):
            return _EVEN.pack(b"E", int(self.times[0]), int(steps[0])) + values
        return b"T" + self.times.astype("<i8").tobytes() + values

    @classmethod
    def from_bytes(cls, blob: bytes) -> Points:
        if blob[:1] == b"E":
            _, first, step = _EVEN.unpack_from(blob)
            values = np.frombuffer(blob, "<f8", offset=_EVEN.size)
            return cls(first + step * np.arange(len(values), dtype=np.int64), values)
        half = (len(blob) - 1) // 2
        times = np.frombuffer(blob, "<i8", half // 8, 1)
        return cls(times, np.frombuffer(blob, "<f8", -1, 1 + half))


def points_key(job_id, asset_id: str, field_name: str) -> str:
    digest = hashlib.sha1(f"{asset_id}\x00{field_name}".encode()).hexdigest()[:16]  # noqa: S324
    return series_cache.copy_key(job_id, digest)


def series_points(jobs: Sequence[Job], asset_id: str, field_name: str, read=None) -> list[Points]:
    """Every point of one series in each job (each must have it), from Redis or else InfluxDB.

    ``read(job)`` reads a job's points from InfluxDB (default: one query in this thread); a
    caller passes its own to read the missing ones in parallel. Raises what the read raises.
    """
    keys = [points_key(job.pk, asset_id, field_name) for job in jobs]
    found: list[bytes | Points | None] = list(series_cache.fetch(keys))
    missing = [job for job, blob in zip(jobs, found, strict=True) if blob is None]
    if missing:
        read = read or (lambda jobs: [read_points(job, asset_id, field_name) for job in jobs])
        fresh = dict(zip((job.pk for job in missing), read(missing), strict=True))
        series_cache.store(
            {points_key(pk, asset_id, field_name): p.to_bytes() for pk, p in fresh.items()}
        )
        found = [
            fresh[job.pk] if blob is None else blob for job, blob in zip(jobs, found, strict=True)
        ]
    return [blob if isinstance(blob, Points) else Points.from_bytes(blob) for blob in found]


def read_points(job: Job, asset_id: str, field_name: str, client=None) -> Points:
    """Every point of one series, read from InfluxDB (no cache)."""
    raw = read_series_range(job, asset_id, field_name, None, None, client=client or influx_client())
    if not raw:
        return Points(np.empty(0, np.int64), np.empty(0, np.float64))
    times, values = zip(*raw, strict=True)
    return Points(np.asarray(times, np.int64), np.asarray(values, np.float64))


def forget_points(job_id, series: Iterable[dict]) -> None:
    """Remove the copies of a job's series (its results are being deleted)."""
    series_cache.forget(
        points_key(job_id, s.get("asset_id", ""), s.get("field", "")) for s in series
    )


def drop_job_results(job: Job) -> None:
    """Drop the job's database, and the copies of its series kept for charts."""
    series = Job.objects.filter(pk=job.pk).values_list("series", flat=True).first()
    forget_points(job.pk, series or [])
    influx_client().drop_database(job.database)
