"""A job, its results and its output ESDL are reachable by those who may see it; others get 404.

A job on someone else's model is the project owner's: its submitter reaches it through their
grant only, and loses it with that grant.
"""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.jobs.models import Job, Worker
from apps.models.models import EsdlModel, Project
from apps.sharing.services import share
from tests.corpus import generated_network
from tests.jobs.builders import make_job


def job_urls(job) -> list[str]:
    return [
        f"/jobs/{job.id}/",
        f"/jobs/{job.id}/output.esdl",
        f"/api/jobs/{job.id}/",
        f"/api/jobs/{job.id}/series/",
        f"/api/jobs/{job.id}/series/data/?asset_id=a&field=heat_supplied",
    ]


@pytest.fixture
def finished_job(owner):
    job = make_job(owner)
    job.status = job.Status.SUCCEEDED
    job.output_esdl = "<esdl:EnergySystem/>"
    job.series = []
    job.save()
    return job


@pytest.mark.django_db
def test_stranger_gets_404_for_every_view_of_a_job(client, make_user, finished_job):
    client.force_login(make_user())

    for url in job_urls(finished_job):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_owner_reaches_the_job_and_its_output_esdl(client, owner, finished_job):
    client.force_login(owner)

    assert client.get(f"/jobs/{finished_job.id}/").status_code == 200
    response = client.get(f"/jobs/{finished_job.id}/output.esdl")
    assert response.status_code == 200
    assert response.content == b"<esdl:EnergySystem/>"
    assert client.get(f"/api/jobs/{finished_job.id}/series/").json() == []


@pytest.mark.django_db
def test_unknown_series_is_a_404_with_a_reason(client, owner, finished_job):
    client.force_login(owner)

    response = client.get(f"/api/jobs/{finished_job.id}/series/data/?asset_id=x&field=y")

    assert response.status_code == 404
    assert "no series" in response.json()["detail"]


@pytest.fixture
def announced_workflow(db) -> str:
    """A workflow a live worker announced (its row only: no process runs it here)."""
    Worker.objects.create(
        worker_id=f"announced-{uuid.uuid4().hex[:6]}",
        host="test",
        slots=1,
        workflows=[{"name": "announced", "version": "1", "default_time_limit_s": 60}],
    )
    return "announced"


@pytest.fixture
def editors_job(client, owner, make_user, announced_workflow) -> Job:
    """A job an editor of the owner's model submitted through the API, finished with output."""
    project = Project.objects.create(owner=owner, name="P")
    client.force_login(owner)
    uploaded = client.post(
        "/api/models/",
        {
            "project": project.pk,
            "file": SimpleUploadedFile("m.esdl", generated_network(profiles=False)),
        },
    )
    esdl_model = EsdlModel.objects.get(pk=uploaded.json()["id"])
    editor = make_user()
    share(esdl_model, editor, "edit")
    client.force_login(editor)
    submitted = client.post("/api/jobs/", {"model": esdl_model.pk, "workflow": announced_workflow})
    assert submitted.status_code == 201, submitted.content
    Job.objects.filter(pk=submitted.json()["id"]).update(
        status=Job.Status.SUCCEEDED, output_esdl="<esdl:EnergySystem/>"
    )
    return Job.objects.get(pk=submitted.json()["id"])


@pytest.mark.django_db
def test_a_job_an_editor_ran_is_the_project_owners_to_share_and_delete(client, owner, editors_job):
    editor = editors_job.owner
    client.force_login(editor)
    assert client.get(f"/jobs/{editors_job.id}/").status_code == 200
    assert client.delete(f"/api/jobs/{editors_job.id}/").status_code == 403
    shared = client.post(f"/api/jobs/{editors_job.id}/grants/share/", {"user": owner.email})
    assert shared.status_code == 403

    client.force_login(owner)
    assert client.delete(f"/api/jobs/{editors_job.id}/").status_code == 204


@pytest.mark.django_db
def test_revoking_an_editor_takes_the_jobs_they_ran_but_history_still_names_them(
    client, owner, editors_job
):
    editor = editors_job.owner
    client.force_login(owner)
    revoked = client.post(
        f"/api/models/{editors_job.esdl_model_id}/grants/revoke/", {"user": editor.email}
    )
    assert revoked.status_code == 200

    client.force_login(editor)
    for url in job_urls(editors_job):
        assert client.get(url).status_code == 404, url
    assert str(editors_job.id) not in {j["id"] for j in client.get("/api/jobs/").json()}
    # Still recorded as theirs: the submitter on the job, in its history, on the owner's list.
    assert Job.objects.get(pk=editors_job.pk).owner == editor
    assert editors_job.events.get(kind="queued").detail == f"by {editor}"
    client.force_login(owner)
    assert editor.email in client.get(f"/models/{editors_job.esdl_model_id}/").content.decode()
