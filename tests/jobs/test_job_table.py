"""The job table (the model page and the jobs list) says whose each job is, how far an active one
has come, and which have had their results deleted."""

from __future__ import annotations

import re
from functools import partial

import pytest
from django.test import Client
from django.utils import timezone

from apps.jobs.models import Job, JobRecord
from apps.models.models import EsdlModel, Project
from apps.sharing.services import share


@pytest.fixture
def shared_model(owner, make_user):
    """The owner's model, shared with a colleague, with a running job of the colleague's and a
    finished one of the owner's whose results were deleted."""
    colleague = make_user("colleague@example.com")
    project = Project.objects.create(owner=owner, name="District heating")
    esdl_model = EsdlModel.objects.create(project=project, name="Base case", esdl="", size_bytes=0)
    share(project, colleague, "edit")
    now = timezone.now()
    simulation = partial(Job.objects.create, esdl_model=esdl_model, workflow="simulator")
    running = simulation(owner=colleague, time_limit_s=60, status=Job.Status.RUNNING, progress=0.42)
    finished = simulation(
        owner=owner,
        time_limit_s=60,
        status=Job.Status.SUCCEEDED,
        progress=1.0,
        started_at=now - timezone.timedelta(seconds=90),
        finished_at=now,
    )
    JobRecord.objects.create(job=finished, results_deleted_at=now)
    return esdl_model, colleague, running, finished


def row_of(page: str, job: Job) -> str:
    found = re.search(rf'<tr data-live-job="{job.pk}".*?</tr>', page, re.S)
    assert found, f"no row of job {job.pk}"
    return found.group(0)


def test_rows_name_the_submitter_progress_and_deleted_results(owner, shared_model):
    esdl_model, _, running, finished = shared_model
    client = Client()
    client.force_login(owner)
    page = client.get(f"/models/{esdl_model.pk}/").content.decode()

    running_row = row_of(page, running)
    assert "colleague@example.com" in running_row
    assert "42 %" in running_row
    assert "results deleted" not in running_row
    finished_row = row_of(page, finished)
    assert "<td>you</td>" in finished_row
    assert "0:01:30" in finished_row  # its duration
    assert "results deleted" in finished_row
    assert " %</span>" not in finished_row  # no progress once ended
    assert f'href="/jobs/{finished.pk}/"' in finished_row
    assert "District heating" not in finished_row  # one model's page: no project column


def test_jobs_list_rows_carry_the_project_and_model(shared_model):
    esdl_model, colleague, running, finished = shared_model
    client = Client()
    client.force_login(colleague)
    page = client.get("/jobs/").content.decode()

    assert "<td>you</td>" in row_of(page, running)
    finished_row = row_of(page, finished)
    assert "owner@example.com" in finished_row
    assert f'<a href="/projects/{esdl_model.project_id}/">District heating</a>' in finished_row
    assert f'<a href="/models/{esdl_model.pk}/">Base case</a>' in finished_row
