"""A small world for the dashboard and list tests: a running job, a finished one, and a project
someone else shared."""

from __future__ import annotations

from apps.jobs import lifecycle
from apps.jobs.models import Job
from apps.models.models import EsdlModel, Project
from apps.sharing.services import share
from tests.jobs.builders import make_job


def running_job(owner, progress: float = 0.25) -> Job:
    """A running job of a workflow no worker offers (the dispatcher leaves it alone)."""
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
