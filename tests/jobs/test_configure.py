"""Configure with confidence (issue 13): defaults from the model with their source, the default
workflow, errors next to their field, the runtime estimate and queue, history after deletion,
run again, and the filtered, paged jobs list."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from apps.jobs.defaults import ModelFacts, derive
from apps.jobs.models import Job, JobRecord
from apps.jobs.services import delete_job, submit_job
from apps.models.models import EsdlModel
from omotes.protocol import ParameterSpec, ParameterType
from omotes.workflows.kpis import workflow as kpis
from omotes.workflows.sequence import simulate_and_kpis
from omotes.workflows.simulator import workflow as simulator
from tests.conftest import bind_profiles
from tests.corpus import generated_network
from tests.jobs.builders import make_job
from tests.jobs.worker_events import announce
from tests.models.test_upload_api import upload

pytestmark = pytest.mark.django_db

WEEK = {"start": "2019-01-01T00:00", "end": "2019-01-07T23:00"}


@pytest.fixture
def model(api, project) -> EsdlModel:
    """A generated network of 10 assets with hourly input profiles through 2019, bound."""
    response = upload(api, project, "network", generated_network())
    bind_profiles(response.json()["id"])
    # Announced last: heartbeats are short in tests, and binding may take seconds on a busy host.
    announce("worker-a", kpis, simulator, simulate_and_kpis)
    return EsdlModel.objects.get(pk=response.json()["id"])


def field(page: str, workflow: str, key: str) -> str:
    """The input tag of one parameter on the model page."""
    return re.search(rf'<input [^>]*id="p-{workflow}-{key}"[^>]*>', page).group(0)


def test_the_form_is_prefilled_from_the_model_and_says_where_each_value_came_from(
    client, owner, model
):
    client.force_login(owner)
    page = client.get(model.get_absolute_url()).content.decode()

    # The workflow a user of a heat network most likely wants, not the first in the alphabet.
    assert '<option value="simulate_kpis" selected' in page
    assert 'value="2019-01-01T00:00"' in field(page, "simulate_kpis", "start")
    assert 'type="datetime-local"' in field(page, "simulate_kpis", "start")
    assert 'value="2019-12-31T23:00"' in field(page, "simulate_kpis", "end")
    assert 'value="3600"' in field(page, "simulate_kpis", "timestep_s")
    assert "From start of the input profiles (2019-01-01 00:00 UTC to 2019-12-31 23:00 UTC)" in page
    assert "From resolution of the input profiles (one point every 3,600 s)" in page
    assert "(UTC;" in page  # the time zone is stated


def test_carrier_temperatures_and_unknown_derivations():
    facts = ModelFacts(None, None, None, (70.0, 80.0), (40.0, 45.0))
    supply = ParameterSpec("t", ParameterType.FLOAT, "T", default=60.0, derive="supply_temperature")
    back = ParameterSpec("r", ParameterType.FLOAT, "R", derive="return_temperature")
    newer = ParameterSpec("n", ParameterType.INT, "N", default=5, derive="from_the_future")
    start = ParameterSpec("s", ParameterType.DATETIME, "S", derive="profile_start")

    assert derive(supply, facts).value == 80.0
    assert "highest supply temperature" in derive(supply, facts).source
    assert derive(back, facts).value == 40.0
    fallback = derive(newer, facts)
    assert (fallback.value, fallback.source) == (5, "the workflow's default")
    assert derive(start, facts).value is None  # no profiles: the workflow decides


def test_the_job_stores_the_values_it_really_used_and_their_source(owner, model):
    job = submit_job(owner, model, "simulator", {"end": "2019-01-03T00:00:00"})

    assert job.params == {
        "timestep_s": 3600,
        "start": "2019-01-01T00:00:00+00:00",
        "end": "2019-01-03T00:00:00+00:00",
    }
    sources = job.record.param_sources
    assert sources["end"] == "given by you"
    assert sources["start"].startswith("start of the input profiles")
    assert sources["timestep_s"].startswith("resolution of the input profiles")
    assert (job.record.asset_total, job.record.steps) == (10, 49)
    assert job.record.estimate["seconds"] > 0


def test_a_refused_form_comes_back_with_the_values_and_the_error_next_to_the_field(
    client, owner, model
):
    client.force_login(owner)
    response = client.post(
        reverse("jobs:submit", args=[model.pk]),
        {
            "workflow": "simulator",
            "param__simulator__start": "2019-02-01T00:00",
            "param__simulator__end": "2019-01-01T00:00",
            "param__simulator__timestep_s": "900",
        },
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert '<option value="simulator" selected' in page
    assert 'value="2019-02-01T00:00"' in field(page, "simulator", "start")
    assert 'value="900"' in field(page, "simulator", "timestep_s")
    error = re.search(r'id="e-simulator-end">([^<]*)<', page).group(1)
    assert "is before Start" in error
    assert not Job.objects.exists()


def test_a_time_with_an_offset_is_accepted_too(api, model):
    response = api.post(
        "/api/jobs/",
        {
            "model": model.pk,
            "workflow": "simulator",
            "params": {"start": "2019-01-01T01:00:00+01:00", "end": "2019-01-02T00:00:00"},
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["params"]["start"] == "2019-01-01T00:00:00+00:00"


def estimate(api, model, workflow="simulator", **params):
    return api.post(
        "/api/jobs/estimate/",
        {"model": model.pk, "workflow": workflow, "params": params},
        format="json",
    )


def test_the_estimate_follows_the_period_and_says_its_basis(api, model):
    week = estimate(api, model, **WEEK)
    year = estimate(api, model)

    assert week.status_code == 200, week.content
    assert year.json()["steps"] == 8760 and week.json()["steps"] == 168
    assert year.json()["estimate"]["seconds"] > week.json()["estimate"]["seconds"]
    body = week.json()
    assert body["estimate"]["low_s"] < body["estimate"]["seconds"] < body["estimate"]["high_s"]
    assert body["text"].startswith("about ") and "no finished job yet" in body["text"]
    assert body["queue"] == {"ahead": 0, "starts_in_s": 0.0, "slots": 1}


def test_the_estimate_refuses_what_a_submit_would_refuse_per_field(api, model):
    response = estimate(api, model, start="2019-02-01T00:00", end="2019-01-01T00:00")

    assert response.status_code == 400
    assert "is before Start" in response.json()["errors"]["end"][0]


def test_the_estimate_learns_from_finished_jobs(api, owner, model):
    from datetime import timedelta

    first = estimate(api, model, **WEEK).json()["estimate"]
    for days in (2, 7, 30):
        job = submit_job(owner, model, "simulator", {"end": f"2019-01-{days:02d}T00:00"})
        steps = job.record.steps
        # A worker twice as slow as the prior: 16 s overhead, 0.4 ms per asset and step.
        took = timedelta(seconds=16 + 0.0004 * 10 * steps)
        job.status, job.started_at = Job.Status.SUCCEEDED, job.created_at
        job.finished_at = job.created_at + took
        job.save()

    learned = estimate(api, model, **WEEK).json()["estimate"]

    assert learned["runs"] == 3 and "3 finished jobs" in learned["basis"]
    assert learned["seconds"] == pytest.approx(16 + 0.0004 * 10 * 168, rel=0.01)
    assert abs(learned["seconds"] - first["seconds"]) > 5


def test_the_queue_position_counts_the_jobs_that_start_first(client, api, owner, make_user, model):
    other = make_user()
    for _ in range(2):
        submit_job(other, model, "simulator", {**WEEK})
    mine = submit_job(owner, model, "simulator", {**WEEK})

    # Fair share: the owner, with nothing running, comes before the other user's second job.
    client.force_login(owner)
    response = client.get(reverse("jobs:detail", args=[mine.pk]))
    state = response.context["state"]
    assert state["queue"]["ahead"] == 1
    assert state["queue"]["starts_in_s"] > 0
    assert "ahead in the queue" in response.content.decode()
    assert estimate(api, model, **WEEK).json()["queue"]["ahead"] == 3


def test_the_history_survives_deleting_the_results(client, owner, model):
    job = submit_job(owner, model, "simulator", {**WEEK})
    client.force_login(owner)

    response = client.post(reverse("jobs:delete", args=[job.pk]))

    assert response.status_code == 302
    job.refresh_from_db()
    record = JobRecord.objects.get(job=job)
    assert job.status == Job.Status.CANCELLED and job.params["timestep_s"] == 3600
    assert record.results_deleted_by == owner and record.results_deleted_at is not None
    page = client.get(job.get_absolute_url()).content.decode()
    assert f"Results deleted by {owner.email} on" in page
    assert "cancelled" in page and "queued" in page  # the events are kept
    assert 'id="delete-form"' not in page


def test_run_again_prefills_the_form_with_the_jobs_values(client, owner, model):
    job = submit_job(owner, model, "simulator", {"start": "2019-03-01T00:00", "timestep_s": 900})
    client.force_login(owner)
    page = client.get(job.get_absolute_url()).content.decode()
    assert f'href="{model.get_absolute_url()}?rerun={job.pk}#submit-form"' in page

    form = client.get(f"{model.get_absolute_url()}?rerun={job.pk}").content.decode()

    assert '<option value="simulator" selected' in form
    assert 'value="2019-03-01T00:00"' in field(form, "simulator", "start")
    assert 'value="900"' in field(form, "simulator", "timestep_s")
    assert f"From as in job {str(job.pk)[:8]}" in form


def test_the_jobs_list_filters_and_pages_in_the_page_and_the_api(client, api, owner, make_user):
    other = make_user()
    mine = [make_job(owner, workflow="simulator") for _ in range(3)]
    kpi_job = make_job(owner, workflow="kpis")
    Job.objects.filter(pk=kpi_job.pk).update(status=Job.Status.FAILED)
    theirs = make_job(other, workflow="simulator")

    client.force_login(owner)
    page = client.get("/jobs/?workflow=simulator&status=queued").content.decode()
    assert all(str(j.pk)[:8] in page for j in mine)
    assert str(kpi_job.pk)[:8] not in page and str(theirs.pk)[:8] not in page

    by_project = client.get(f"/jobs/?project={mine[0].esdl_model.project_id}").content.decode()
    assert str(mine[0].pk)[:8] in by_project and str(mine[1].pk)[:8] not in by_project

    listed = api.get("/api/jobs/", {"status": "failed"}).json()
    assert [j["id"] for j in listed] == [str(kpi_job.pk)]
    by_model = api.get("/api/jobs/", {"model": mine[0].esdl_model_id}).json()
    assert [j["id"] for j in by_model] == [str(mine[0].pk)]
    paged = api.get("/api/jobs/", {"page_size": 2, "owner": "me"}).json()
    assert paged["count"] == 4 and len(paged["results"]) == 2 and paged["next"]
    second = api.get("/api/jobs/", {"page_size": 2, "page": 2, "owner": "me"}).json()
    seen = {j["id"] for j in paged["results"] + second["results"]}
    assert seen == {str(j.pk) for j in [*mine, kpi_job]}


def test_a_jobs_filter_with_a_nul_character_is_ignored_not_a_server_error(client, api, owner):
    # Found by the API fuzzer: PostgreSQL takes no NUL in a text, and the query raised.
    job = make_job(owner, workflow="simulator")
    client.force_login(owner)

    for name in ("owner", "workflow"):
        listed = api.get("/api/jobs/", {name: "\x00", "status": "queued"})
        assert listed.status_code == 200
        assert [j["id"] for j in listed.json()] == [str(job.pk)]
        assert client.get("/jobs/", {name: "a\x00b"}).status_code == 200


def test_deleting_results_keeps_the_job_for_the_api_too(api, owner, model):
    job = submit_job(owner, model, "simulator", {**WEEK})

    assert api.delete(f"/api/jobs/{job.pk}/").status_code == 204
    assert api.get(f"/api/jobs/{job.pk}/").status_code == 200
    delete_job(Job.objects.get(pk=job.pk), by=owner)  # twice is harmless
    assert JobRecord.objects.get(job=job).results_deleted_at is not None
