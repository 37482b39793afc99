"""Comparing the results of several jobs (variations of a model): one series across jobs, KPIs.

A series is read from each job's InfluxDB database once (one query per job, run side by side on a
small pool of threads: the queries wait on InfluxDB, not on Python) and then kept in Redis
(:mod:`apps.results.points`). A range holding more points than the chart can show is reduced to
min/max per time bucket (:mod:`apps.results.reduction`, the grid InfluxDB's ``GROUP BY time``
uses; the tests hold the two equal).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
from django.core.cache import cache
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from apps.jobs.models import Job
from apps.models.models import EsdlModel, Project
from apps.results.influx import influx_client
from apps.results.points import Points, read_points, series_points
from apps.results.reduction import bucket_seconds, min_max_arrays, needs_reduction
from apps.results.services import SeriesExtent, SeriesNotFound, find_series, series_extent
from apps.sharing.access import visible_to
from omotes.influx import InfluxClient

#: Most jobs one comparison may hold (the page aims at 10; the API allows some slack).
MAX_JOBS = 20
#: Results of a succeeded job never change, so what is derived from them is cached this long.
CACHE_S = 7 * 24 * 3600

T = TypeVar("T")


class ComparisonError(ValueError):
    """The request cannot be answered as asked (a 400 with this message)."""


# -- which jobs ----------------------------------------------------------------------------------


def jobs_for(user, job_ids: Sequence[Any], with_series: bool = True) -> list[Job]:
    """The visible jobs with these ids, in the order given (duplicates dropped).

    Raises Job.DoesNotExist when any is missing or not visible to the user (a 404: a stranger
    learns nothing about which ids exist), ComparisonError when one has no results to compare.
    ``with_series=False`` leaves out ``Job.series`` (10,000 entries, ~1.5 MB of JSON for a
    1,000-asset job): load the entries needed with :func:`load_series_entries`.
    """
    ordered = list(dict.fromkeys(str(i) for i in job_ids))
    if not ordered:
        raise ComparisonError("Choose at least one job.")
    if len(ordered) > MAX_JOBS:
        raise ComparisonError(f"At most {MAX_JOBS} jobs can be compared at once.")
    found = {
        str(job.pk): job
        for job in visible_to(user, Job)
        .filter(pk__in=ordered)
        .select_related("esdl_model")
        .defer("esdl", "output_esdl", "esdl_model__esdl", *([] if with_series else ["series"]))
    }
    missing = [i for i in ordered if i not in found]
    if missing:
        raise Job.DoesNotExist(f"No job {missing[0]}.")
    jobs = [found[i] for i in ordered]
    for job in jobs:
        if job.status != Job.Status.SUCCEEDED:
            raise ComparisonError(f"Job {job.pk} has no results to compare: it is {job.status}.")
    return jobs


def load_series_entries(jobs: Sequence[Job], json_path: str, variables: dict[str, str]) -> None:
    """Set each job's ``series`` to the entries matching a SQL/JSON path, read in PostgreSQL.

    Only the matching entries leave the database, instead of every series of every job.
    """
    found = dict(
        Job.objects.filter(pk__in=[job.pk for job in jobs])
        .annotate(
            entries=RawSQL(
                "jsonb_path_query_array(series, %s::jsonpath, %s::jsonb)",
                (json_path, json.dumps(variables)),
            )
        )
        .values_list("pk", "entries")
    )
    for job in jobs:
        entries = found.get(job.pk) or []
        job.series = json.loads(entries) if isinstance(entries, str) else list(entries)


def load_series_of(jobs: Sequence[Job], asset_id: str, field_name: str) -> None:
    """Load only the series entry of one asset's quantity into each job."""
    load_series_entries(
        jobs, "$[*] ? (@.asset_id == $a && @.field == $f)", {"a": asset_id, "f": field_name}
    )


def succeeded_jobs_by_model(project: Project, user) -> list[tuple[EsdlModel, list[Job]]]:
    """The project's models (visible to the user) that have succeeded jobs, newest job first."""
    models = visible_to(user, EsdlModel).filter(project=project).defer("esdl", "summary")
    jobs: QuerySet[Job] = (
        visible_to(user, Job)
        .filter(esdl_model__project=project, status=Job.Status.SUCCEEDED)
        .select_related("esdl_model")
        .defer("esdl", "output_esdl", "series", "messages", "esdl_model__esdl")
        .order_by("-finished_at", "-created_at")
    )
    by_model: dict[int, list[Job]] = {}
    for job in jobs:
        by_model.setdefault(job.esdl_model_id, []).append(job)
    return [(m, by_model[m.pk]) for m in models.order_by("name", "pk") if m.pk in by_model]


def variation_labels(jobs: Sequence[Job]) -> list[str]:
    """What the legend calls each job: its model's name, plus its date when a model repeats."""
    names = [job.esdl_model.name for job in jobs]
    labels = []
    for job, name in zip(jobs, names, strict=True):
        if names.count(name) > 1:
            name = f"{name} ({job.workflow}, {job.created_at:%Y-%m-%d %H:%M})"
        labels.append(name)
    return labels


# -- reading in parallel ---------------------------------------------------------------------------

_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="compare")
_local = threading.local()


def _client() -> InfluxClient:
    """An InfluxDB client per pool thread (a requests session is not meant to be shared)."""
    client = getattr(_local, "client", None)
    if client is None:
        client = _local.client = InfluxClient(influx_client().settings)
    return client


def in_parallel(function: Callable[..., T], items: Iterable[Any]) -> list[T]:
    return list(_pool.map(lambda item: function(item, _client()), items))


def _cache_key(kind: str, job: Job, *parts: str) -> str:
    digest = hashlib.sha1("\x00".join(parts).encode()).hexdigest()[:16]  # noqa: S324 - a name
    return f"dt:compare:{kind}:{job.pk}:{digest}"


def cached_extent(job: Job, asset_id: str, field_name: str, client=None) -> SeriesExtent:
    key = _cache_key("extent", job, asset_id, field_name)
    extent = cache.get(key)
    if extent is None:
        extent = series_extent(job, asset_id, field_name, client=client)
        cache.set(key, extent, CACHE_S)
    return extent


# -- one series across jobs ----------------------------------------------------------------------


@dataclass
class ChartSeries:
    job: Job
    label: str
    asset_name: str = ""
    missing: bool = False  # the job has no such series (a variation without that asset)
    values: list[float | None] | None = None  # full resolution
    minimum: list[float | None] | None = None  # reduced: per bucket
    maximum: list[float | None] | None = None


@dataclass
class Chart:
    """One asset's quantity across jobs on one time axis: what the chart draws and CSV holds."""

    asset_id: str
    field: str
    unit: str
    start_s: int | None
    end_s: int | None
    width: int
    reduced: bool
    bucket_s: int | None
    x: list[int]  # epoch s: points, or bucket starts (the first no earlier than the data)
    series: list[ChartSeries] = field(default_factory=list)

    @property
    def point_count(self) -> int:
        return len(self.x)


def _on_axis(x: np.ndarray, points: Points) -> list[float | None]:
    """The values of ``points`` on the shared axis ``x`` (which holds every time), else None."""
    if len(points.times) == len(x):  # the axis is this series' own times: no gaps
        return points.values.tolist()
    placed = np.full(len(x), np.nan)
    placed[np.searchsorted(x, points.times)] = points.values
    out: list[float | None] = placed.tolist()
    for i in np.flatnonzero(np.isnan(placed)).tolist():
        out[i] = None
    return out


def _shared_axis(times: Sequence[np.ndarray]) -> np.ndarray:
    """Every time of any series, ascending; the series' own array when all are the same."""
    first = times[0]
    if all(len(t) == len(first) and np.array_equal(t, first) for t in times[1:]):
        return first
    return np.unique(np.concatenate(times))


def compare_series(
    jobs: Sequence[Job],
    asset_id: str,
    field_name: str,
    start_s: int | None = None,
    end_s: int | None = None,
    width: int = 1000,
) -> Chart:
    """The series ``field_name`` of ``asset_id`` in every job, on one shared time axis.

    Without ``start_s``/``end_s`` the whole stored range is read. When the range holds more than
    two points per pixel of ``width`` in any job, every job is reduced on the same bucket grid
    (min and max per bucket), so the series stay aligned; otherwise the raw points are given.
    The points come from :func:`apps.results.points.series_points` (Redis, else one InfluxDB
    query per job, side by side), so zooming and re-reducing never go back to InfluxDB.
    Raises SeriesNotFound when no job has that series.
    """
    if start_s is not None and end_s is not None and start_s >= end_s:
        raise ComparisonError("start must be before end.")
    labels = variation_labels(jobs)
    present: list[tuple[Job, dict]] = []
    for job in jobs:
        try:
            present.append((job, find_series(job, asset_id, field_name)))
        except SeriesNotFound:
            continue
    if not present:
        raise SeriesNotFound(f"No job has a series {field_name!r} for asset {asset_id!r}.")
    unit = present[0][1].get("unit", "")
    asset_name = {job.pk: s.get("asset_name", "") for job, s in present}
    present_jobs = [job for job, _ in present]

    def read(missing: list[Job]) -> list[Points]:
        return in_parallel(
            lambda job, client: read_points(job, asset_id, field_name, client), missing
        )

    stored = series_points(present_jobs, asset_id, field_name, read=read)
    firsts = [int(p.times[0]) for p in stored if len(p.times)]
    lasts = [int(p.times[-1]) for p in stored if len(p.times)]
    lo = start_s if start_s is not None else (min(firsts) if firsts else None)
    hi = end_s if end_s is not None else (max(lasts) if lasts else None)
    chart = Chart(asset_id, field_name, unit, lo, hi, width, False, None, [])
    if lo is None or hi is None:
        chart.series = [
            ChartSeries(job, label, missing=True) for job, label in zip(jobs, labels, strict=True)
        ]
        return chart

    shown = [p.between(lo, hi) for p in stored]
    by_job: dict[Any, ChartSeries] = {}
    if needs_reduction(max(len(p.times) for p in shown), width):
        chart.reduced, chart.bucket_s = True, bucket_seconds(lo, hi, width)
        reduced = [min_max_arrays(p.times, p.values, chart.bucket_s) for p in shown]
        x = _shared_axis([times for times, _, _ in reduced])
        for job, (times, low, high) in zip(present_jobs, reduced, strict=True):
            by_job[job.pk] = ChartSeries(
                job,
                "",
                asset_name[job.pk],
                minimum=_on_axis(x, Points(times, low)),
                maximum=_on_axis(x, Points(times, high)),
            )
    else:
        x = _shared_axis([p.times for p in shown])
        for job, p in zip(present_jobs, shown, strict=True):
            by_job[job.pk] = ChartSeries(job, "", asset_name[job.pk], values=_on_axis(x, p))
    for job, label in zip(jobs, labels, strict=True):
        series = by_job.get(job.pk) or ChartSeries(job, label, missing=True)
        series.label = label
        chart.series.append(series)
    if chart.reduced and len(x):
        # Buckets are aligned to the epoch, so the first one usually starts before the range
        # and the data: dated at its start, the first row would lie outside what was read. It
        # is dated where its data can begin instead; later buckets start inside the range.
        x[0] = max(int(x[0]), lo, min(firsts))
    chart.x = x.tolist()
    return chart


def chart_columns(chart: Chart) -> list[tuple[str, list]]:
    """The chart as named columns, the same for JSON and CSV: time, then one or two per job."""
    columns: list[tuple[str, list]] = [("time", chart.x)]
    empty = [None] * len(chart.x)
    for s in chart.series:
        if chart.reduced:
            columns.append((f"{s.label} min", s.minimum or empty))
            columns.append((f"{s.label} max", s.maximum or empty))
        else:
            columns.append((s.label, s.values or empty))
    return columns


# A spreadsheet reads a cell that starts with one of these as a formula (or, for tab and CR, may
# shift it so that the next character starts one), e.g. a model named =HYPERLINK("http://x").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """A text cell a spreadsheet shows as text: a leading single quote defuses a formula (OWASP's
    advice for CSV injection). Only for text from users (names, units); numbers stay numbers."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def chart_csv(chart: Chart) -> str:
    """CSV of exactly the chart's data: ISO time (UTC), epoch seconds, then the value columns.

    Reduced charts have a min and a max column per job, one row per bucket (its start time).
    The header holds model names, which any user chooses: its cells are ``spreadsheet_safe``.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = chart_columns(chart)
    unit = f" [{chart.unit}]" if chart.unit else ""
    header = [spreadsheet_safe(f"{name}{unit}") for name, _ in columns[1:]]
    writer.writerow(["time_utc", "epoch_s", *header])
    for i, t in enumerate(chart.x):
        row = [datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), t]
        for _, values in columns[1:]:
            value = values[i]
            row.append("" if value is None else repr(float(value)))
        writer.writerow(row)
    return out.getvalue()


def detail_csv(detail: str) -> str:
    """An error as CSV, for a client that asked for CSV: one ``detail`` column, one row."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["detail"], [spreadsheet_safe(detail)]])
    return out.getvalue()


# -- which assets and quantities ------------------------------------------------------------------


def series_options(jobs: Sequence[Job]) -> list[dict[str, Any]]:
    """Assets with their quantities over all jobs (a variation may add or remove assets).

    Each asset says in how many of the jobs it appears, so a page can put the shared ones first.
    """
    assets: dict[str, dict[str, Any]] = {}
    for job in jobs:
        seen: set[str] = set()
        for s in job.series:
            asset_id = s.get("asset_id", "")
            entry = assets.setdefault(
                asset_id,
                {
                    "asset_id": asset_id,
                    "asset_name": s.get("asset_name", ""),
                    "asset_class": s.get("asset_class", s.get("measurement", "")),
                    "fields": {},
                    "jobs": 0,
                },
            )
            entry["fields"].setdefault(s.get("field", ""), s.get("unit", ""))
            if asset_id not in seen:
                seen.add(asset_id)
                entry["jobs"] += 1
    out = []
    for entry in assets.values():
        # Asset-level quantities (heat supplied, demanded, lost) before per-port ones.
        fields = sorted(entry["fields"].items(), key=lambda fu: ("." in fu[0], fu[0]))
        out.append({**entry, "fields": [{"field": f, "unit": u} for f, u in fields]})
    out.sort(key=lambda a: (-a["jobs"], a["asset_class"], a["asset_name"] or a["asset_id"]))
    return out
