"""A real simulation with KPIs, run by a real worker, is costed by the real events consumer."""

from __future__ import annotations

import pytest

from apps.jobs.models import Job
from apps.jobs.workflows import offered_workflows
from apps.keyfigures.models import JobCosting
from apps.keyfigures.services import default_version
from tests.conftest import wait_for
from tests.jobs.test_end_to_end import submit, wait_until_done

TWO_WEEKS = {"start": "2019-01-01T00:00:00+00:00", "end": "2019-01-14T23:00:00+00:00"}


def test_two_producers_simulated_with_kpis_get_costs_lcoh_and_co2(
    transactional_db, api, project, stack
):
    if "worker-kpis" not in stack.processes or stack.processes["worker-kpis"].poll() is not None:
        stack.start_worker("worker-kpis", workflows="simulate_kpis")
    wait_for(lambda: "simulate_kpis" in offered_workflows(), 60, "the worker to announce")

    job_id = submit(api, project, "2sources", TWO_WEEKS, workflow="simulate_kpis")
    state = wait_until_done(api, job_id, 600)

    assert state["status"] == "succeeded", state["error"]
    listed = api.get(f"/api/jobs/{job_id}/").json()["kpis"]
    kpis = {k["key"]: k for k in listed}
    assert len(kpis) == len(listed)  # the workflow's own KPIs are kept, none twice
    for key, unit in (("capex", "EUR"), ("opex", "EUR/yr"), ("lcoh", "EUR/MWh"), ("co2", "t/yr")):
        assert kpis[key]["unit"] == unit and kpis[key]["value"] > 0, key
    assert kpis["heat_supplied"]["unit"] == "MWh"
    shares = [k["value"] for key, k in kpis.items() if key.startswith("share:")]
    assert len(shares) == 2 and sum(shares) == pytest.approx(100.0)
    costing = JobCosting.objects.get(job_id=job_id)
    assert costing.version == default_version() and costing.error == ""
    # Simulator 0.0.30 reports no heat loss for these uninsulated pipes: flagged, with why.
    assert "pipes have no insulation data" in costing.warnings[0]
    assert Job.objects.get(pk=job_id).costing == costing
    # The job's history names the key figures its costs used (R24).
    history = api.get(f"/api/jobs/{job_id}/").json()["history"]
    assert history["key_figures"] == {"version": default_version().name, "dynamic_values": []}
