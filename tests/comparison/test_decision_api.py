"""The decision rows of the KPI table (best marked, first) and the differences API."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from apps.jobs.models import Job
from tests.comparison.results import make_project

pytestmark = pytest.mark.django_db

ESDL = """<?xml version='1.0' encoding='UTF-8'?>
<esdl:EnergySystem xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:esdl="http://www.tno.nl/esdl" id="es" name="n" esdlVersion="v2401">
  <instance xsi:type="esdl:Instance" id="inst" name="i">
    <area xsi:type="esdl:Area" id="area" name="a">{assets}</area>
  </instance>
</esdl:EnergySystem>
"""
PIPE = '<asset xsi:type="esdl:Pipe" id="pipe-1" name="Main" length="100.0" diameter="{dn}"/>'
SOURCE = '<asset xsi:type="esdl:GenericProducer" id="gp" name="Old boiler" power="1000000.0"/>'


def query(jobs, baseline=None) -> dict:
    q = {"jobs": [str(j.pk) for j in jobs]}
    if baseline is not None:
        q["baseline"] = str(baseline.pk)
    return q


def kpis(capex: float, lcoh: float) -> list[dict]:
    return [
        {"key": "full_load_hours", "name": "Full-load hours", "value": 3000.0, "unit": "h"},
        {"key": "lcoh", "name": "LCOH", "value": lcoh, "unit": "EUR/MWh"},
        {"key": "capex", "name": "CAPEX", "value": capex, "unit": "EUR"},
    ]


@pytest.fixture
def jobs(stored_jobs, owner):
    project = make_project(owner)
    base = stored_jobs(project, "Base", steps=24, kpis=kpis(100.0, 50.0))
    other = stored_jobs(project, "Wider pipe", steps=24, kpis=kpis(100.0, 40.0))
    Job.objects.filter(pk=base.pk).update(esdl=ESDL.format(assets=PIPE.format(dn="DN100") + SOURCE))
    Job.objects.filter(pk=other.pk).update(
        esdl=ESDL.format(assets=PIPE.format(dn="DN150")), params={"end": "2019-02-01T00:00:00Z"}
    )
    cache.delete(f"dt:compare:diff:{base.pk}:{other.pk}")
    return base, other


def test_decision_kpis_come_first_with_the_best_marked(client, owner, jobs):
    client.force_login(owner)
    rows = client.get("/api/compare/kpis/", query(jobs)).json()["rows"]
    assert [r["key"] for r in rows] == ["capex", "lcoh", "full_load_hours"]
    assert [(r["decision"], r["best"]) for r in rows] == [(True, []), (True, [1]), (False, [])]


def test_differences_name_assets_attributes_and_parameters(client, owner, jobs):
    base, other = jobs
    client.force_login(owner)
    answer = client.get("/api/compare/differences/", query(jobs, base)).json()
    first, second = answer["variations"]
    assert first["baseline"] and "changed" not in first
    assert second["removed"] == [
        {"asset_id": "gp", "name": "Old boiler", "asset_class": "GenericProducer"}
    ]
    assert second["added"] == []
    assert second["changed"] == [
        {
            "asset_id": "pipe-1",
            "name": "Main",
            "asset_class": "Pipe",
            "attribute": "diameter",
            "old": "DN100",
            "new": "DN150",
            "unit": "",
        }
    ]
    assert second["params"] == [{"key": "end", "old": None, "new": "2019-02-01T00:00:00Z"}]


def test_differences_refuse_a_baseline_outside_the_jobs_and_hide_strangers(
    client, owner, make_user, jobs
):
    client.force_login(owner)
    answer = client.get(
        "/api/compare/differences/",
        {"jobs": [str(jobs[0].pk)], "baseline": str(jobs[1].pk)},
    )
    assert answer.status_code == 400 and "baseline" in answer.json()["detail"]
    client.force_login(make_user("stranger@example.com"))
    assert client.get("/api/compare/differences/", query(jobs)).status_code == 404
