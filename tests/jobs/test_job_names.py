"""Jobs have names people read: a default from model, workflow and short id, renamed by those
who may change the job (page and API), shown as the job page's title instead of the UUID."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from apps.jobs.models import Job
from apps.sharing.services import share
from tests.jobs.builders import make_job


@pytest.fixture
def job(owner) -> Job:
    return make_job(owner, workflow="simulator")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def patch_name(client: Client, job: Job, name) -> object:
    return client.patch(
        f"/api/jobs/{job.pk}/", json.dumps({"name": name}), content_type="application/json"
    )


def test_default_name_is_model_workflow_and_short_id(job):
    assert job.display_name == f"m · simulator · {str(job.pk)[:8]}"


def test_job_page_is_titled_by_the_name_not_the_uuid(owner, job):
    page = logged_in(owner).get(job.get_absolute_url()).content.decode()
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert job.display_name in title and str(job.pk) not in title
    heading = page.split('<h1 id="job-name">', 1)[1].split("</h1>", 1)[0]
    assert heading == job.display_name


def test_owner_renames_a_job_through_the_api(owner, job):
    response = patch_name(logged_in(owner), job, "  Winter peak, 80 °C  ")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Winter peak, 80 °C"
    job.refresh_from_db()
    assert job.name == "Winter peak, 80 °C"


def test_empty_name_brings_the_default_back(owner, job):
    patch_name(logged_in(owner), job, "Something")
    response = patch_name(logged_in(owner), job, "")
    assert response.status_code == 200
    assert response.json()["name"] == job.default_name


def test_editor_may_rename_and_viewer_may_not(owner, make_user, job):
    editor, viewer = make_user("editor@example.com"), make_user("viewer@example.com")
    share(job.esdl_model.project, editor, "edit")
    share(job.esdl_model.project, viewer, "view")
    assert patch_name(logged_in(editor), job, "By the editor").status_code == 200
    refused = patch_name(logged_in(viewer), job, "By the viewer")
    assert refused.status_code == 403
    job.refresh_from_db()
    assert job.name == "By the editor"


def test_stranger_renaming_gets_404_and_changes_nothing(make_user, job):
    response = patch_name(logged_in(make_user("stranger@example.com")), job, "Mine now")
    assert response.status_code == 404
    job.refresh_from_db()
    assert job.name == ""


@pytest.mark.parametrize(
    ("name", "reason"),
    [("x" * 201, "at most 200"), ("two\nlines", "control characters"), (None, "")],
)
def test_bad_name_is_a_400_with_a_reason(owner, job, name, reason):
    response = patch_name(logged_in(owner), job, name)
    assert response.status_code == 400
    assert reason in response.json()["detail"]


def test_put_is_not_offered(owner, job):
    response = logged_in(owner).put(
        f"/api/jobs/{job.pk}/", json.dumps({"name": "x"}), content_type="application/json"
    )
    assert response.status_code == 405


def test_owner_renames_on_the_page(owner, job):
    client = logged_in(owner)
    response = client.post(f"/jobs/{job.pk}/rename/", {"name": "Base case"})
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    page = client.get(job.get_absolute_url()).content.decode()
    assert '<h1 id="job-name">Base case</h1>' in page
    assert "Base case" in client.get("/jobs/").content.decode()


def test_viewer_cannot_rename_on_the_page(owner, make_user, job):
    viewer = make_user("viewer@example.com")
    share(job.esdl_model.project, viewer, "view")
    assert logged_in(viewer).post(f"/jobs/{job.pk}/rename/", {"name": "x"}).status_code == 403
    page = logged_in(viewer).get(job.get_absolute_url()).content.decode()
    assert 'id="rename"' not in page
