"""Jobs built straight in the database, for tests that need one without a worker or an ESDL."""

from __future__ import annotations

from apps.jobs.models import Job
from apps.models.models import EsdlModel, Project


def make_job(owner, workflow: str = "no-worker-offers-this") -> Job:
    """A queued job on a model of its own; by default of a workflow no worker offers, so the
    live dispatcher leaves it alone."""
    project = Project.objects.create(owner=owner, name="p")
    esdl_model = EsdlModel.objects.create(project=project, name="m", esdl="", size_bytes=0)
    return Job.objects.create(
        owner=owner, esdl_model=esdl_model, workflow=workflow, esdl="", time_limit_s=60
    )
