"""The comparison page leads with the decision table (costs, CO2, losses; best marked; difference
to the baseline) and says what differs between each variation and the baseline, in a browser."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from apps.jobs.models import Job
from apps.keyfigures.models import JobCosting
from apps.keyfigures.services import ensure_shipped_dataset
from tests.browser.test_comparison_in_browser import page  # noqa: F401 - a fixture
from tests.comparison.results import drop_written, make_project, store_job

ESDL = """<?xml version='1.0' encoding='UTF-8'?>
<esdl:EnergySystem xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:esdl="http://www.tno.nl/esdl" id="es" name="n" esdlVersion="v2401">
  <instance xsi:type="esdl:Instance" id="inst" name="i">
    <area xsi:type="esdl:Area" id="area" name="a">
      <asset xsi:type="esdl:GenericProducer" id="prod-1" name="Cheap source" power="{power}"/>
      <asset xsi:type="esdl:Pipe" id="pipe-1" name="Pipe 1" length="2000.0" diameter="DN200"/>
      {extra}
    </area>
  </instance>
</esdl:EnergySystem>
"""
HEAT_PUMP = '<asset xsi:type="esdl:HeatPump" id="hp-1" name="New heat pump" power="1000000.0"/>'


def kpis(capex: float, lcoh: float, co2: float) -> list[dict]:
    return [
        {"key": "heat_supplied", "name": "Heat supplied", "value": 1000.0, "unit": "MWh"},
        {"key": "capex", "name": "Investment (CAPEX)", "value": capex, "unit": "EUR"},
        {"key": "lcoh", "name": "Levelised cost of heat (LCOH)", "value": lcoh, "unit": "EUR/MWh"},
        {"key": "co2", "name": "CO2 emissions per year", "value": co2, "unit": "t/yr"},
    ]


@pytest.fixture
def two_variations(owner):
    project = make_project(owner, "Decide")
    base = store_job(project, "Base", steps=48, kpis=kpis(3e6, 90.0, 500.0))
    bigger = store_job(
        project,
        "Doubled source",
        steps=48,
        kpis=kpis(3.5e6, 80.0, 520.0),
        variation_of=base.esdl_model,
    )
    Job.objects.filter(pk=base.pk).update(
        esdl=ESDL.format(power="5000000.0", extra=""), params={"timestep": 3600}
    )
    Job.objects.filter(pk=bigger.pk).update(
        esdl=ESDL.format(power="10000000.0", extra=HEAT_PUMP), params={"timestep": 1800}
    )
    version = ensure_shipped_dataset()
    for job in (base, bigger):
        JobCosting.objects.update_or_create(job=job, defaults={"version": version})
        cache.delete(f"dt:compare:diff:{base.pk}:{job.pk}")
        cache.delete(f"dt:compare:diff:{bigger.pk}:{job.pk}")
    yield project, base, bigger
    drop_written()


def test_decision_table_marks_the_best_and_lists_what_differs(two_variations, web_url, page):  # noqa: F811
    project, base, bigger = two_variations
    page.goto(
        f"{web_url}/projects/{project.pk}/compare/?jobs={base.pk}&jobs={bigger.pk}&baseline={base.pk}"
    )
    page.wait_for_selector("#decision-table")
    # The decision table comes first on the page, before the chart.
    order = page.evaluate("() => [...document.querySelectorAll('section.card')].map((s) => s.id)")
    assert order.index("decision") < order.index("compare")
    rows = page.eval_on_selector_all(
        "#decision-table tr[data-kpi]",
        "rows => rows.map(r => [r.dataset.kpi, [...r.cells].slice(2).map(c => c.className)])",
    )
    assert [key for key, _ in rows] == ["capex", "lcoh", "co2"]  # only decision KPIs
    best = {key: classes.index("best") for key, classes in rows}
    assert best == {"capex": 0, "lcoh": 1, "co2": 0}
    lcoh_cell = page.inner_text("#decision-table tr[data-kpi=lcoh] td:nth-child(4)")
    assert "-10" in lcoh_cell and "-11.1 %" in lcoh_cell

    page.wait_for_selector(".variation-diff")
    diff = page.inner_text(f".variation-diff[data-job='{bigger.pk}']")
    assert "Added HeatPump New heat pump" in diff
    assert "Cheap source: power 5.00 MW → 10.0 MW" in diff  # read in MW, not 5,000,000 W
    assert "Parameter timestep: 3,600 → 1,800" in diff
    assert "Pipe 1" not in diff  # unchanged assets are not listed
