"""A job is costed when its result arrives: KPIs on the job row, the key-figure version and the
cost source per asset recorded, a suspect zero heat loss flagged, all shown on the job page."""

from __future__ import annotations

import pytest

from apps.jobs import lifecycle
from apps.jobs.models import Job
from apps.keyfigures.models import JobCosting
from apps.keyfigures.services import default_version, load_version
from apps.results.influx import influx_client
from omotes.protocol import EventKind
from tests.comparison.results import ASSETS, PIPE, UNITS, Asset, write_points
from tests.jobs.builders import make_job
from tests.jobs.worker_events import deliver

pytestmark = pytest.mark.django_db

OUTPUT_ESDL = """<?xml version='1.0' encoding='UTF-8'?>
<esdl:EnergySystem xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:esdl="http://www.tno.nl/esdl" id="es" name="costed" esdlVersion="v2401">
  <energySystemInformation xsi:type="esdl:EnergySystemInformation" id="info">
    <carriers xsi:type="esdl:Carriers" id="carriers">
      <carrier xsi:type="esdl:HeatCommodity" id="heat" name="Heat" supplyTemperature="80.0"/>
    </carriers>
  </energySystemInformation>
  <instance xsi:type="esdl:Instance" id="inst" name="i">
    <area xsi:type="esdl:Area" id="area" name="a">
      <asset xsi:type="esdl:GenericProducer" id="prod-1" name="Producer 1" power="5000000.0"/>
      <asset xsi:type="esdl:HeatingDemand" id="cons-1" name="Consumer 1" power="4000000.0"/>
      <asset xsi:type="esdl:Pipe" id="pipe-1" name="Pipe 1" length="2000.0" diameter="DN200"/>
    </area>
  </instance>
</esdl:EnergySystem>
"""

STEPS = 48


def series(assets: tuple[Asset, ...]) -> list[dict]:
    return [
        {
            "asset_id": a.asset_id,
            "asset_name": a.name,
            "asset_class": a.asset_class,
            "measurement": a.asset_class,
            "field": f,
            "unit": UNITS[f],
            "points": STEPS,
        }
        for a in assets
        for f in a.fields
    ]


@pytest.fixture
def finished_job(owner):
    """Run a job to its result the way the events consumer does, with real series in InfluxDB."""
    created: list[Job] = []

    def finish(assets: tuple[Asset, ...] = ASSETS) -> Job:
        job = make_job(owner, "simulator")
        created.append(job)
        lifecycle.transition(job.pk, lifecycle.SUBMIT)
        lifecycle.transition(job.pk, lifecycle.DISPATCH)
        write_points(job, assets, STEPS, 1.0)
        deliver(EventKind.STARTED, "w", job, run_id="r1")
        deliver(
            EventKind.RESULT,
            "w",
            job,
            run_id="r1",
            series=series(assets),
            output_esdl=OUTPUT_ESDL,
        )
        return Job.objects.get(pk=job.pk)

    yield finish
    for job in created:
        influx_client().drop_database(job.database)


def test_a_result_is_costed_with_the_default_version(finished_job):
    job = finished_job()
    assert job.status == Job.Status.SUCCEEDED
    kpis = {k["key"]: k for k in job.kpis}
    # A plain simulation gets the physical KPIs too, so no page derives them later.
    for key in (
        "heat_supplied",
        "heat_delivered",
        "heat_loss",
        "capex",
        "opex",
        "total_cost",
        "lcoh",
        "co2",
        "co2_per_mwh",
        "share:prod-1",
        "bought:natural_gas",
    ):
        assert key in kpis, key
    figures = default_version().as_dict()
    pipe_capex = 2000 * figures["pipe.investment_eur_per_m.DN200"]
    producer_capex = 5000 * figures["generic_producer.investment_eur_per_kw"]
    assert kpis["capex"]["value"] == pytest.approx(pipe_capex + producer_capex)
    assert kpis["lcoh"]["unit"] == "EUR/MWh" and kpis["lcoh"]["value"] > 0
    costing = JobCosting.objects.get(job=job)
    assert costing.version == default_version() and costing.error == ""
    sources = {a["asset_id"]: a["capex_source"] for a in costing.assets}
    assert sources["pipe-1"] == "key figure pipe.investment_eur_per_m.DN200"


def test_the_version_used_stays_with_the_job_when_the_default_changes(finished_job, client, owner):
    job = finished_job()
    first = default_version()
    load_version(b"key,value,unit,source\nfinance.discount_rate,3,%,x\n", "next", default=True)
    assert JobCosting.objects.get(job=job).version == first
    client.force_login(owner)
    page = client.get(job.get_absolute_url()).content.decode()
    assert "keyfigures-2026" in page and "Levelised cost of heat" in page
    assert "key figure pipe.investment_eur_per_m.DN200" in page


def test_zero_pipe_loss_is_flagged_on_the_job_page(finished_job, client, owner):
    no_loss = tuple(a for a in ASSETS if a is not PIPE)
    job = finished_job(no_loss)
    costing = JobCosting.objects.get(job=job)
    assert costing.warnings[0] == (
        "Zero pipe heat loss for 2.0 km of pipe at 80 C is suspect: "
        "1 of 1 pipes have no insulation data (material layers)."
    )
    client.force_login(owner)
    page = client.get(job.get_absolute_url()).content.decode()
    assert "suspect" in page and "no insulation data" in page


def test_a_fresh_dynamic_value_is_used_and_recorded_with_the_job(finished_job, client, owner):
    from django.utils import timezone

    from apps.keyfigures.models import DynamicSource

    DynamicSource.objects.create(
        name="TTF day-ahead",
        url="http://127.0.0.1:9/ttf",
        selector="price",
        key="energy_price.natural_gas",
        unit="EUR/MWh",
        last_value=50.0,
        last_good_at=timezone.now(),
    )
    job = finished_job()
    costing = JobCosting.objects.get(job=job)
    assert [(d["key"], d["value"], d["source"]) for d in costing.dynamic_values] == [
        ("energy_price.natural_gas", 50.0, "TTF day-ahead")
    ]
    producer = next(a for a in costing.assets if a["asset_id"] == "prod-1")
    assert producer["energy_cost_eur_yr"] == pytest.approx(50.0 * producer["bought_mwh_yr"])
    client.force_login(owner)
    page = client.get(job.get_absolute_url()).content.decode()
    assert "energy_price.natural_gas = 50.0 EUR/MWh from TTF day-ahead" in page


def test_jobs_that_ended_before_costing_are_costed_by_the_backfill_command(finished_job):
    from django.core.management import call_command

    job = finished_job()
    costed_kpis = {k["key"]: k["value"] for k in job.kpis}
    JobCosting.objects.filter(job=job).delete()
    Job.objects.filter(pk=job.pk).update(kpis=[])  # as a job from before this release
    call_command("cost_jobs")
    job.refresh_from_db()
    assert {k["key"]: k["value"] for k in job.kpis} == pytest.approx(costed_kpis)
    assert JobCosting.objects.get(job=job).version == default_version()
    call_command("cost_jobs", "--all")  # again: the KPIs are replaced, not repeated
    job.refresh_from_db()
    assert len(job.kpis) == len(costed_kpis)


def test_a_figure_used_outside_its_validity_is_warned_about(finished_job):
    load_version(
        b"key,value,unit,source,valid_from,valid_to\n"
        b"finance.discount_rate,5,%,x,,\n"
        b"energy_price.natural_gas,30,EUR/MWh,TTF 2020,2020-01-01,2020-12-31\n"
        b"emission_factor.natural_gas,202,kg/MWh,IPCC,,\n"
        b"generic_producer.efficiency,0.9,-,x,,\n",
        "old prices",
        default=True,
    )
    job = finished_job()
    warnings = JobCosting.objects.get(job=job).warnings
    assert (
        "Key figure energy_price.natural_gas is valid 2020-01-01 to 2020-12-31, not today."
        in warnings
    )
    assert any("no figure pipe.investment_eur_per_m.DN200" in w for w in warnings)
