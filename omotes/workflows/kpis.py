"""Key performance indicators of a simulated heat network (the ``kpis`` workflow).

Reads the heat series a simulation wrote (found through the output ESDL's InfluxDB profiles, so it
works on any job's output ESDL) with InfluxQL aggregates, not point by point, and adds the KPIs
to the ESDL's main area as ``DoubleKPI`` elements. Energy is power integrated over time: the
series are equidistant, so energy [J] = sum of power [W] x time step [s].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import esdl

from omotes.influx import InfluxClient, InfluxError, quote_identifier, quote_string
from omotes.protocol import Kpi, WorkflowError
from omotes.results import profile_tags
from omotes.workflows.base import JobContext, WorkflowResult, load_esdl

J_PER_MWH = 3.6e9
#: The quantities a KPI is computed from: the role of the assets that report them, and the sign
#: the simulator writes them with. A conversion between two networks (a four-port heat pump)
#: supplies its secondary network (``heat_power_secondary``, written negative) with heat it
#: partly took from its primary one (``heat_power_primary``): only the difference (for a heat
#: pump, the electricity it turned into heat) enters the system, so "taken" counts against
#: "supply". A producer's ``heat_supplied`` is positive.
HEAT_QUANTITIES: dict[str, tuple[str, int]] = {
    "heat_supplied": ("supply", 1),
    "heat_power_secondary": ("supply", -1),
    "heat_power_primary": ("taken", 1),
    "heat_demand": ("demand", 1),
    "heat_loss": ("loss", 1),
}


#: How a role's peaks add up to the peak supply: a conversion's secondary peak counts, less its
#: primary peak (the heat that a producer's peak already counted).
PEAK_ROLES = {"supply": 1, "taken": -1}


def peak_aggregate(field: str) -> str:
    """The InfluxQL aggregate that finds a quantity's peak (its largest magnitude); MAX for a
    quantity outside :data:`HEAT_QUANTITIES`, all of them positive."""
    return "MIN" if HEAT_QUANTITIES.get(field, ("", 1))[1] < 0 else "MAX"


class HeatTotals:
    """A network's energy [J] per role of :data:`HEAT_QUANTITIES` and its peak supply [W], as
    its series' sums and peaks are added: the one place their signs and :data:`PEAK_ROLES` are
    applied."""

    def __init__(self, energy_j: Mapping[str, float] | None = None, peak_supply_w: float = 0.0):
        self.energy_j: dict[str, float] = dict(energy_j or {})
        self.peak_supply_w = peak_supply_w

    def add_energy(self, quantity: str, sum_w: float, step_s: float) -> None:
        role, sign = HEAT_QUANTITIES[quantity]
        self.energy_j[role] = self.energy_j.get(role, 0.0) + sign * sum_w * step_s

    def add_peak(self, quantity: str, peak_w: float) -> None:
        role, sign = HEAT_QUANTITIES[quantity]
        self.peak_supply_w += PEAK_ROLES.get(role, 0) * sign * peak_w

    def kpis(self) -> list[Kpi]:
        energy = self.energy_j.get
        supplied = energy("supply", 0.0) - energy("taken", 0.0)
        return kpis_from_totals(
            supplied, energy("demand", 0.0), energy("loss", 0.0), self.peak_supply_w
        )


def _aggregate(client: InfluxClient, profile: esdl.InfluxDBProfile) -> tuple[float, float, int]:
    """(sum W, max W, points) of one output series."""
    where = " AND ".join(
        f"{quote_identifier(k)} = {quote_string(v)}" for k, v in profile_tags(profile).items()
    )
    field = quote_identifier(profile.field)
    measurement = quote_identifier(profile.measurement)
    peak = peak_aggregate(profile.field)
    query = f"SELECT SUM({field}), {peak}({field}), COUNT({field}) FROM {measurement}"
    if where:
        query += f" WHERE {where}"
    results = client.query(query, database=profile.database)
    series = results[0].get("series") if results else None
    if not series:
        return 0.0, 0.0, 0
    _, total, peak, count = series[0]["values"][0]
    return float(total or 0.0), float(peak or 0.0), int(count or 0)


def compute_kpis(client: InfluxClient, energy_system: esdl.EnergySystem) -> list[Kpi]:
    totals = HeatTotals()
    found = False
    for profile in energy_system.eAllContents():
        if not isinstance(profile, esdl.InfluxDBProfile) or profile.field not in HEAT_QUANTITIES:
            continue
        total_w, peak_w, points = _aggregate(client, profile)
        if points < 2:
            continue
        found = True
        step_s = (profile.endDate - profile.startDate).total_seconds() / (points - 1)
        totals.add_energy(profile.field, total_w, step_s)
        totals.add_peak(profile.field, peak_w)
    if not found:
        raise WorkflowError(
            "The ESDL references no simulated heat series (heat_supplied, heat_demand, "
            "heat_loss): run the simulator first, or give the simulator's output ESDL."
        )
    return totals.kpis()


def kpis_from_totals(
    supplied_j: float, demand_j: float, loss_j: float, peak_supply_w: float
) -> list[Kpi]:
    """The KPI set from energy totals [J] and the peak supply [W]: the one definition, also used
    by the comparison page for jobs that only simulated."""
    kpis = [
        Kpi("heat_supplied", "Heat supplied", supplied_j / J_PER_MWH, "MWh"),
        Kpi("heat_delivered", "Heat delivered to consumers", demand_j / J_PER_MWH, "MWh"),
        Kpi("heat_loss", "Heat lost in pipes", loss_j / J_PER_MWH, "MWh"),
        Kpi("peak_supply", "Peak supply (sum of producers)", peak_supply_w / 1e6, "MW"),
    ]
    if supplied_j > 0:
        kpis.append(Kpi("loss_share", "Share of heat lost", 100.0 * loss_j / supplied_j, "%"))
    if peak_supply_w > 0:
        kpis.append(
            Kpi("full_load_hours", "Full-load hours", supplied_j / peak_supply_w / 3600, "h")
        )
    return kpis


def add_to_esdl(energy_system: esdl.EnergySystem, kpis: list[Kpi]) -> None:
    area = energy_system.instance[0].area
    if area.KPIs is None:
        area.KPIs = esdl.KPIs(id=f"{area.id}-kpis", description="Design Toolkit KPIs")
    for kpi in kpis:
        area.KPIs.kpi.append(
            esdl.DoubleKPI(
                id=f"{area.id}-{kpi.key}", name=f"{kpi.name} [{kpi.unit}]", value=kpi.value
            )
        )


class KpiWorkflow:
    name = "kpis"
    version = "1.1"  # 1.1: a four-port heat pump's heat counts (HEAT_QUANTITIES)
    title = "Key performance indicators"
    description = (
        "Heat supplied, delivered and lost, peak supply, loss share and full-load hours of a "
        "simulated heat network (give it the simulator's output ESDL, or chain it after it)."
    )
    parameters = ()
    default_time_limit_s = 600
    runtime_prior = {"overhead_s": 3.0, "per_asset_s": 0.01}

    def run(self, esdl_text: str, params: dict[str, Any], context: JobContext) -> WorkflowResult:
        context.progress(0.0, "reading results")
        handler, energy_system = load_esdl(esdl_text)
        try:
            kpis = compute_kpis(InfluxClient(context.influx), energy_system)
        except InfluxError as exc:
            raise WorkflowError(f"The results could not be read from InfluxDB: {exc}") from exc
        add_to_esdl(energy_system, kpis)
        context.progress(1.0, "done")
        return WorkflowResult(output_esdl=handler.to_string(), kpis=kpis)


workflow = KpiWorkflow()
