"""The reconciler's step for jobs whose workflow no live worker offers (R26: every job ends),
called directly against the real database; the workers are events handed to the consumer."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.jobs.dispatch import fail_jobs_no_worker_offers, reconcile_jobs
from apps.jobs.models import Job, JobEvent, WorkflowSetting
from omotes.protocol import EventKind
from omotes.workflows.examples import sleeper
from omotes.workflows.kpis import workflow as kpis
from tests.corpus import generated_network
from tests.jobs.worker_events import announce, deliver
from tests.models.test_upload_api import upload

pytestmark = pytest.mark.django_db


def queued_since(job: Job, age: timedelta) -> Job:
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - age)
    return job


def test_a_submitted_job_fails_when_no_worker_offered_its_workflow_for_the_timeout(
    api, project, settings
):
    settings.JOB_NO_WORKER_TIMEOUT_S = 1
    announce("worker-a")
    model = upload(api, project, "network", generated_network(profiles=False)).json()
    response = api.post("/api/jobs/", {"model": model["id"], "workflow": "sleeper"}, format="json")
    assert response.status_code == 201, response.content
    deliver(EventKind.LEAVE, "worker-a")  # before the dispatcher sent the job anywhere
    assert reconcile_jobs() == 0

    time.sleep(1.1)
    assert reconcile_jobs() == 1

    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == "failed"
    assert job.error == "No worker offered workflow sleeper for 1 second."
    assert job.finished_at is not None
    assert JobEvent.objects.filter(job=job, kind="failed", detail=job.error).exists()


def test_a_queued_job_waits_while_a_worker_offered_its_workflow_lately(make_job, settings):
    settings.JOB_NO_WORKER_TIMEOUT_S = 60
    job = queued_since(make_job(dispatched=False), timedelta(hours=2))
    announce("worker-a")
    deliver(EventKind.LEAVE, "worker-a")  # its job went back into the queue just now

    assert fail_jobs_no_worker_offers() == 0
    assert Job.objects.get(pk=job.pk).status == "queued"


def test_a_queued_job_of_an_offered_workflow_waits_however_long(make_job, settings):
    """Its workflow's workers are busy: the queue, not a missing worker, holds it back."""
    settings.JOB_NO_WORKER_TIMEOUT_S = 60
    announce("worker-a")
    job = queued_since(make_job(dispatched=False), timedelta(hours=2))

    assert fail_jobs_no_worker_offers() == 0
    assert Job.objects.get(pk=job.pk).status == "queued"


def test_the_workflow_setting_overrides_the_no_worker_timeout(make_job, settings):
    settings.JOB_NO_WORKER_TIMEOUT_S = 3600
    WorkflowSetting.objects.create(workflow="sleeper", no_worker_timeout_s=60)
    sleeper_job = queued_since(make_job(dispatched=False), timedelta(minutes=2))
    other_job = queued_since(make_job("other", dispatched=False), timedelta(minutes=2))

    assert fail_jobs_no_worker_offers() == 1

    sleeper_job.refresh_from_db()
    assert (sleeper_job.status, sleeper_job.error) == (
        "failed",
        "No worker offered workflow sleeper for 1 minute.",
    )
    assert Job.objects.get(pk=other_job.pk).status == "queued"


def test_the_model_page_says_which_workflows_no_worker_offers_now(client, owner, make_job):
    announce("worker-a", sleeper)
    deliver(EventKind.LEAVE, "worker-a")
    announce("worker-b", kpis)
    model = make_job().esdl_model
    model.esdl = generated_network(profiles=False).decode()  # one the pre-flight check passes
    model.save(update_fields=["esdl"])
    client.force_login(owner)

    page = client.get(f"/models/{model.pk}/").content.decode()

    assert 'id="submit-form"' in page and '<option value="kpis" selected' in page
    assert '<option value="sleeper"  disabled' in page
    assert "Sleeper (test load) (sleeper) cannot run: no live worker offers it right now" in page
