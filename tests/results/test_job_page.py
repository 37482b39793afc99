"""The job and model pages as served: KPIs in units people read, supply and return temperature."""

from __future__ import annotations

import pytest

from tests.comparison.results import CONSUMER, PRODUCER, make_project, store_job

pytestmark = pytest.mark.django_db

CARRIERS = [
    {
        "id": "hc",
        "name": "Heat",
        "class": "HeatCommodity",
        "supply_temperature": 80.0,
        "return_temperature": 40.0,
    }
]


@pytest.fixture
def job(owner):
    job = store_job(
        make_project(owner, "Page"),
        "Served",
        steps=24,
        assets=(PRODUCER, CONSUMER),
        kpis=[
            {"key": "heat_loss", "name": "Heat lost in pipes", "value": 0.4, "unit": "MWh"},
            {"key": "peak_supply", "name": "Peak supply", "value": 2.5, "unit": "MW"},
        ],
    )
    job.esdl_model.summary = {"carriers": CARRIERS}
    job.esdl_model.save(update_fields=["summary"])
    return job


def test_job_page_shows_kpis_scaled_with_the_si_value_in_the_tooltip(client, owner, job):
    client.force_login(owner)

    page = client.get(f"/jobs/{job.pk}/").content.decode()

    assert '<span class="kpi-value">400 kWh</span>' in page
    assert 'title="1.44e+09 J"' in page
    assert '<span class="kpi-value">2.50 MW</span>' in page
    assert 'id="quantity-catalogue"' in page  # the charts convert with the server's catalogue


def test_job_page_leads_with_the_outcome_before_parameters_and_history(client, owner, job):
    client.force_login(owner)

    page = client.get(f"/jobs/{job.pk}/").content.decode()

    assert (
        page.index('id="kpis"') < page.index('id="balance-chart"') < page.index('id="job-params"')
    )
    assert page.index('id="job-params"') < page.index('id="job-history"')


def test_job_and_model_pages_state_the_return_temperature(client, owner, job):
    client.force_login(owner)

    job_page = client.get(f"/jobs/{job.pk}/").content.decode()
    model_page = client.get(job.esdl_model.get_absolute_url()).content.decode()

    assert "supply 80.0 °C, return 40.0 °C" in job_page
    assert "supply 80.0 °C · return 40.0 °C" in model_page
