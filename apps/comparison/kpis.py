"""KPI tables across jobs: each job's KPIs side by side, with differences to a baseline job.

A job of the ``kpis`` or ``simulate_kpis`` workflow carries its KPIs (``Job.kpis``). For a job that
only simulated, the same KPIs are derived here from its stored series with InfluxQL aggregates (one
statement per measurement and quantity, not one per asset, so 1,000 assets cost a few queries),
with the definitions of :mod:`omotes.workflows.kpis`; they are cached, since results never change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from apps.comparison.services import (
    CACHE_S,
    cached_extent,
    in_parallel,
    load_series_entries,
    variation_labels,
)
from apps.jobs.models import Job
from omotes.influx import InfluxClient, InfluxError, quote_identifier
from omotes.workflows.kpis import HEAT_QUANTITIES, PEAK_ROLES, HeatTotals, peak_aggregate

logger = logging.getLogger(__name__)


def derive_kpis(job: Job, client: InfluxClient) -> list[dict[str, Any]]:
    """KPIs of a simulated job from its series; [] when it has none of the heat quantities."""
    groups: dict[tuple[str, str], dict] = {}
    for s in job.series:
        if s.get("field") in HEAT_QUANTITIES:
            groups.setdefault((s["measurement"], s["field"]), s)
    if not groups:
        return []
    totals = HeatTotals()
    for (measurement, field_name), example in groups.items():
        extent = cached_extent(job, example["asset_id"], field_name, client)
        if extent.points < 2 or extent.first_s is None or extent.last_s is None:
            continue
        # Results are equidistant: energy [J] = sum of power [W] x time step [s].
        step_s = (extent.last_s - extent.first_s) / (extent.points - 1)
        f, m = quote_identifier(field_name), quote_identifier(measurement)
        statements = [f"SELECT SUM({f}) FROM {m}"]
        peaked = HEAT_QUANTITIES[field_name][0] in PEAK_ROLES
        if peaked:
            peak = peak_aggregate(field_name)
            statements.append(
                f"SELECT {peak}({f}) FROM {m} GROUP BY {quote_identifier('asset_id')}"
            )
        results = client.query("; ".join(statements), database=job.database)
        for found in results[0].get("series", []):
            totals.add_energy(field_name, float(found["values"][0][1] or 0.0), step_s)
        if peaked and len(results) > 1:
            for found in results[1].get("series", []):
                totals.add_peak(field_name, float(found["values"][0][1] or 0.0))
    return [k.to_dict() for k in totals.kpis()]


def _kpi_key(job: Job) -> str:
    return f"dt:compare:kpis:{job.pk}"


def job_kpis(job: Job, client: InfluxClient) -> list[dict[str, Any]]:
    """The job's own KPIs, or those derived from its series (cached)."""
    if job.kpis:
        return list(job.kpis)
    key = _kpi_key(job)
    kpis = cache.get(key)
    if kpis is None:
        try:
            kpis = derive_kpis(job, client)
        except InfluxError:
            logger.warning("KPIs not derived", extra={"job_id": str(job.pk)}, exc_info=True)
            return []
        cache.set(key, kpis, CACHE_S)
    return kpis


#: The KPIs a decision rests on, in the order the decision table shows them; lower is better
#: for each (the comparison marks the best variation).
DECISION_KPIS = (
    "capex",
    "opex",
    "total_cost",
    "lcoh",
    "co2",
    "co2_per_mwh",
    "pipe_loss_yearly",
    "heat_loss",
    "loss_share",
)


@dataclass
class KpiRow:
    key: str
    name: str
    unit: str
    values: list[float | None]
    difference: list[float | None]  # value - baseline value, in ``unit``
    difference_percent: list[float | None]  # relative to the baseline; None when it is 0
    decision: bool = False  # one of DECISION_KPIS: lower is better
    best: list[int] | None = None  # indices of the best values, when they are not all equal


def best_of(values: list[float | None]) -> list[int]:
    """Indices of the lowest values, [] when fewer than two are known or all are equal."""
    known = [v for v in values if v is not None]
    if len(known) < 2 or max(known) - min(known) <= 1e-9 * max(abs(min(known)), 1.0):
        return []
    low = min(known)
    return [
        i for i, v in enumerate(values) if v is not None and v - low <= 1e-9 * max(abs(low), 1.0)
    ]


def kpi_table(jobs: Sequence[Job], baseline: Job) -> dict[str, Any]:
    """Each job's KPIs in one row per KPI, with the differences to ``baseline`` (one of jobs).

    ``jobs`` may come without their ``series`` (deferred): the heat series of those whose KPIs
    must be derived are loaded here, in this thread (the pool threads do not touch PostgreSQL).
    """
    to_derive = [j for j in jobs if not j.kpis and cache.get(_kpi_key(j)) is None]
    if to_derive:
        names = {f"q{i}": field_name for i, field_name in enumerate(HEAT_QUANTITIES)}
        path = "$[*] ? (" + " || ".join(f"@.field == ${name}" for name in names) + ")"
        load_series_entries(to_derive, path, names)
    per_job = in_parallel(job_kpis, jobs)
    base_index = [job.pk for job in jobs].index(baseline.pk)
    order: dict[str, dict[str, Any]] = {}
    for kpis in per_job:
        for kpi in kpis:
            order.setdefault(kpi["key"], kpi)
    rows = []
    for key, first in order.items():
        values: list[float | None] = []
        for kpis in per_job:
            match = next((k for k in kpis if k["key"] == key), None)
            values.append(None if match is None else float(match["value"]))
        base = values[base_index]
        difference = [None if v is None or base is None else v - base for v in values]
        percent = [None if d is None or not base else 100.0 * d / abs(base) for d in difference]
        decision = key in DECISION_KPIS
        rows.append(
            KpiRow(
                key,
                first.get("name", key),
                first.get("unit", ""),
                values,
                difference,
                percent,
                decision,
                best_of(values) if decision else [],
            )
        )
    rank = {key: i for i, key in enumerate(DECISION_KPIS)}
    rows.sort(key=lambda row: rank.get(row.key, len(rank)))
    return {
        "baseline": str(baseline.pk),
        "variations": [
            {"job": str(job.pk), "label": label, "model": job.esdl_model_id}
            for job, label in zip(jobs, variation_labels(jobs), strict=True)
        ],
        "rows": [row.__dict__ for row in rows],
    }
