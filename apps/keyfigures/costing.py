"""Costing a job when its result arrives (the events path), so no page ever waits for it.

The events consumer calls :func:`cost_result` with the worker's result before it records the
job's success: the energy each asset supplied, used and lost is summed inside InfluxDB (three
InfluxQL statements per measurement and quantity, not one per asset), the output ESDL gives the
assets and their own cost information, the default key-figure version (with the dynamic values
in force) gives the rest, and :func:`omotes.economics.cost_network` computes. The economic KPIs
join the job's KPIs (with the physical ones when the workflow gave none), so the comparison
table reads them from the job row like any other. A costing that fails never fails the job: it
records why instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from apps.keyfigures.dynamic import values_in_force
from apps.keyfigures.models import JobCosting, KeyFigureVersion
from apps.keyfigures.services import default_version
from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_intake import EsdlRejected
from apps.results.influx import influx_client
from omotes.economics import AssetEnergy, cost_network, is_economic_kpi, suspect_zero_loss
from omotes.influx import InfluxClient, InfluxError, quote_identifier
from omotes.protocol import JobResult, job_database
from omotes.workflows.kpis import HEAT_QUANTITIES, HeatTotals, peak_aggregate

logger = logging.getLogger(__name__)

#: Series field -> AssetEnergy attribute (a four-port heat pump's secondary heat is what it
#: supplied, its primary heat what it took from the other network: see HEAT_QUANTITIES).
ENERGY_FIELDS = {
    "heat_supplied": "supplied_j",
    "heat_power_secondary": "supplied_j",
    "heat_power_primary": "taken_j",
    "heat_demand": "demand_j",
    "heat_loss": "loss_j",
    "electricity_consumption": "electricity_j",
}


@dataclass
class CostedResult:
    """What costing a result gives: KPIs to add to the job's, and the record to keep."""

    kpis: list[dict[str, Any]] = field(default_factory=list)
    version: KeyFigureVersion | None = None
    dynamic_values: list[dict[str, Any]] = field(default_factory=list)
    assets: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""

    def save(self, job_id) -> JobCosting:
        costing, _ = JobCosting.objects.update_or_create(
            job_id=job_id,
            defaults={
                "version": self.version,
                "dynamic_values": self.dynamic_values,
                "assets": self.assets,
                "warnings": self.warnings,
                "error": self.error,
            },
        )
        return costing


def read_energies(
    client: InfluxClient, database: str, series: list[dict[str, Any]]
) -> tuple[dict[str, AssetEnergy], float]:
    """Energy per asset [J] over the simulated period, and that period [s]."""
    groups = {(s["measurement"], s["field"]) for s in series if s.get("field") in ENERGY_FIELDS}
    energies: dict[str, AssetEnergy] = {}
    period_s = 0.0
    for measurement, field_name in sorted(groups):
        f, m = quote_identifier(field_name), quote_identifier(measurement)
        by = quote_identifier("asset_id")
        role, sign = HEAT_QUANTITIES.get(field_name, ("", 1))
        peak_of = peak_aggregate(field_name)
        results = client.query(
            f"SELECT SUM({f}), COUNT({f}), {peak_of}({f}) FROM {m} GROUP BY {by}; "
            f"SELECT FIRST({f}) FROM {m} GROUP BY {by}; SELECT LAST({f}) FROM {m} GROUP BY {by}",
            database=database,
        )
        firsts = {s["tags"]["asset_id"]: s["values"][0][0] for s in results[1].get("series", [])}
        lasts = {s["tags"]["asset_id"]: s["values"][0][0] for s in results[2].get("series", [])}
        for found in results[0].get("series", []):
            asset_id = found["tags"]["asset_id"]
            _, total, count, peak = found["values"][0]
            count = int(count or 0)
            if count < 2 or asset_id not in firsts or asset_id not in lasts:
                continue
            # Results are equidistant: energy [J] = sum of power [W] x time step [s].
            step_s = (lasts[asset_id] - firsts[asset_id]) / (count - 1)
            period_s = max(period_s, step_s * count)
            energy = energies.setdefault(asset_id, AssetEnergy())
            setattr(energy, ENERGY_FIELDS[field_name], sign * float(total or 0.0) * step_s)
            if role == "supply":
                energy.peak_supplied_w = sign * float(peak or 0.0)
            elif role == "taken":
                energy.peak_taken_w = sign * float(peak or 0.0)
    return energies, period_s


def _physical_kpis(
    series: list[dict[str, Any]], energies: dict[str, AssetEnergy]
) -> list[dict[str, Any]]:
    """The physical KPI set (omotes.workflows.kpis) from the same energies, for a job whose
    workflow computed none (a plain simulation)."""
    if not any(s.get("field") in HEAT_QUANTITIES for s in series):
        return []
    totals = HeatTotals(  # the energies have their signs applied (read_energies)
        {
            "supply": sum(e.supplied_j for e in energies.values()),
            "taken": sum(e.taken_j for e in energies.values()),
            "demand": sum(e.demand_j for e in energies.values()),
            "loss": sum(e.loss_j for e in energies.values()),
        },
        peak_supply_w=sum(e.peak_supplied_w - e.peak_taken_w for e in energies.values()),
    )
    return [k.to_dict() for k in totals.kpis()]


def current_figures(version: KeyFigureVersion) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """The version's figures with the dynamic values in force, and which dynamic values those
    are (key, value, source, fetched at)."""
    figures = version.as_dict()
    dynamic = values_in_force()
    for entry in dynamic:
        figures[entry["key"]] = entry["value"]
    return figures, dynamic


def cost_result(job_id, result: JobResult) -> CostedResult:
    """Cost a job's result; never raises (a failure is recorded as the costing's error)."""
    return cost_outputs(
        job_id,
        [s.to_dict() for s in result.series],
        result.output_esdl,
        {k.key for k in result.kpis},
    )


def cost_outputs(
    job_id, series: list[dict[str, Any]], output_esdl: str, kpi_keys: set[str]
) -> CostedResult:
    """Cost a job from its series descriptions, output ESDL and the KPIs it has already."""
    out = CostedResult()
    try:
        energies, period_s = read_energies(influx_client(), job_database(job_id), series)
    except InfluxError as exc:
        out.error = f"The results could not be read from InfluxDB: {exc}"
        return out
    except Exception:  # noqa: BLE001 - a costing bug must not lose the job's result
        logger.exception("costing: energies not read", extra={"job_id": str(job_id)})
        out.error = "The energies could not be read (see the log)."
        return out
    if "heat_supplied" not in kpi_keys:
        out.kpis.extend(_physical_kpis(series, energies))
    if not energies:
        out.error = "The job wrote no heat series (heat_supplied, heat_demand, heat_loss)."
        return out
    try:
        document = EsdlDocument(output_esdl)
    except EsdlRejected as exc:
        out.error = f"The output ESDL could not be read: {exc}"
        return out
    reason = suspect_zero_loss(document.energy_system, energies)
    if reason:
        out.warnings.append(reason)
    out.version = default_version()
    if out.version is None:
        out.error = "No key-figure version is the default: costs not computed."
        return out
    try:
        figures, out.dynamic_values = current_figures(out.version)
        costing = cost_network(document.energy_system, energies, period_s, figures)
    except Exception:  # noqa: BLE001 - as above
        logger.exception("costing failed", extra={"job_id": str(job_id)})
        out.error = "The costs could not be computed (see the log)."
        return out
    out.kpis.extend(k.to_dict() for k in costing.kpis)
    out.assets = [a.to_dict() for a in costing.assets]
    out.warnings.extend(costing.warnings)
    static_keys = set(costing.figures_used) - {d["key"] for d in out.dynamic_values}
    out.warnings.extend(outdated(out.version, static_keys))
    return out


def outdated(version: KeyFigureVersion, keys: set[str]) -> list[str]:
    """A warning for each of these figures whose validity does not include today."""
    today = timezone.localdate()
    warnings = []
    for figure in version.figures.filter(key__in=keys).order_by("key"):
        if (figure.valid_from and today < figure.valid_from) or (
            figure.valid_to and today > figure.valid_to
        ):
            period = f"{figure.valid_from or '…'} to {figure.valid_to or '…'}"
            warnings.append(f"Key figure {figure.key} is valid {period}, not today.")
    return warnings


def cost_finished_job(job_id) -> CostedResult:
    """Cost a job that succeeded before costing existed (or again): its KPIs gain the economic
    ones (replacing those of an earlier costing) and its costing record is written."""
    from apps.jobs.models import Job

    job = Job.objects.only("series", "output_esdl", "kpis", "status").get(pk=job_id)
    kept = [k for k in job.kpis if not is_economic_kpi(k["key"])]
    costed = cost_outputs(job_id, job.series, job.output_esdl, {k["key"] for k in kept})
    Job.objects.filter(pk=job_id, status=Job.Status.SUCCEEDED).update(kpis=kept + costed.kpis)
    costed.save(job_id)
    return costed
