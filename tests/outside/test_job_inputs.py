"""A job records where its input profiles came from when it was submitted (source, time fetched,
checksum, or why the standard profile stood in), so a result can be traced to its inputs; the
record stays as it was when the model's profiles are fetched again later."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.jobs.models import Worker
from apps.outside.models import FetchedProfile, JobInput
from apps.profiles.binding import bind_next_model
from tests.jobs.test_job_access import announced_workflow  # noqa: F401 - a fixture
from tests.outside.conftest import outside_network
from tests.outside.test_profile_sources import LOOPBACK_INFLUX, bound


def submit(api, model_id: int) -> str:
    Worker.objects.update(last_seen=timezone.now())  # the announced worker's heartbeat
    response = api.post(
        "/api/jobs/", {"model": model_id, "workflow": "announced", "params": {}}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.mark.django_db
def test_a_job_records_source_time_and_checksum_of_each_copied_profile(
    api,
    project,
    client,
    owner,
    outside_influx,
    allow,
    reader_env,
    announced_workflow,  # noqa: F811
):
    allow({**LOOPBACK_INFLUX, **reader_env})
    esdl_model = bound(api, project, outside_network())

    job_id = submit(api, esdl_model.pk)

    inputs = api.get(f"/api/jobs/{job_id}/inputs/").json()
    copies = {f.checksum: f for f in FetchedProfile.objects.all()}
    assert len(inputs) == 3 and {i["checksum"] for i in inputs} == set(copies)
    for row in inputs:
        copy = copies[row["checksum"]]
        assert row["kind"] == "profile" and row["stand_in_reason"] == ""
        assert row["source"] == (
            f"http://127.0.0.1:8086 database {outside_influx}, WarmingUp default profiles / "
            f"{copy.field}"
        )
        assert row["fetched_at"] is not None
    client.force_login(owner)
    page = client.get(f"/jobs/{job_id}/").content.decode()
    assert 'id="job-inputs"' in page and page.count("sha256:") == 3


@pytest.mark.django_db
def test_a_job_keeps_its_record_when_the_profiles_are_fetched_again_later(
    api,
    project,
    client,
    owner,
    outside_influx,
    allow,
    reader_env,
    announced_workflow,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    esdl_model = bound(api, project, outside_network())  # nothing listed: standard profiles
    before = submit(api, esdl_model.pk)
    allow({**LOOPBACK_INFLUX, **reader_env})
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/models/{esdl_model.pk}/retry-outside/").status_code == 202
    while bind_next_model():
        pass

    after = submit(api, esdl_model.pk)

    standard = JobInput.objects.filter(job_id=before)
    assert standard.count() == 3
    assert {i.stand_in_reason for i in standard} == {
        "source not allowed: 127.0.0.1:8086 is not on the operator's list of outside servers "
        "(DT_OUTSIDE_SERVERS)"
    }
    assert {i.checksum for i in standard} == {""}
    copied = JobInput.objects.filter(job_id=after)
    assert {i.stand_in_reason for i in copied} == {""}
    assert {i.checksum for i in copied} == set(
        FetchedProfile.objects.values_list("checksum", flat=True)
    )
    client.force_login(owner)
    page = client.get(f"/jobs/{before}/").content.decode()
    assert page.count("Standard profile used: source not allowed") == 3


@pytest.mark.django_db
def test_the_inputs_of_a_job_are_not_shown_to_others(
    api,
    project,
    make_user,
    announced_workflow,  # noqa: F811
):
    esdl_model = bound(api, project, outside_network())
    job_id = submit(api, esdl_model.pk)
    from rest_framework.test import APIClient

    stranger = APIClient()
    stranger.force_authenticate(make_user())

    assert stranger.get(f"/api/jobs/{job_id}/inputs/").status_code == 404
