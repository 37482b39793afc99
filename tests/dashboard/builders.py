"""A small world for the dashboard and list tests: a running job, a finished one, and a project
someone else shared."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from apps.jobs import lifecycle
from apps.jobs.models import Job, Worker
from apps.models.models import EsdlModel, Project
from apps.sharing.services import share
from tests.jobs.builders import make_job


def running_job(owner, progress: float = 0.25) -> Job:
    """A running job of a workflow no worker offers, on a worker whose heartbeat stays fresh
    for ten minutes: a dispatcher running beside the test (the session's stack) would otherwise
    take it for orphaned and queue it again."""
    Worker.objects.update_or_create(
        worker_id="worker-a",
        defaults={
            "host": "test",
            "slots": 1,
            "workflows": [],
            "last_seen": timezone.now() + timedelta(minutes=10),
        },
    )
    job = make_job(owner)
    lifecycle.transition(job.pk, lifecycle.SUBMIT)
    lifecycle.transition(job.pk, lifecycle.START, run_id="r1", worker_id="worker-a")
    Job.objects.filter(pk=job.pk).update(progress=progress, progress_message="time step 6 of 24")
    return Job.objects.select_related("esdl_model").get(pk=job.pk)


def finished_job(owner) -> Job:
    job = make_job(owner)
    lifecycle.transition(job.pk, lifecycle.SUBMIT)
    lifecycle.transition(job.pk, lifecycle.START, run_id="r1", worker_id="worker-a")
    lifecycle.transition(job.pk, lifecycle.SUCCEED, run_id="r1", worker_id="worker-a")
    return Job.objects.select_related("esdl_model").get(pk=job.pk)


def shared_project(from_user, to_user, name: str = "Harbour district") -> Project:
    """A project of ``from_user`` with one model, shared with ``to_user`` to view."""
    project = Project.objects.create(owner=from_user, name=name)
    EsdlModel.objects.create(project=project, name="Harbour network", esdl="", size_bytes=0)
    share(project, to_user, "view")
    return project
