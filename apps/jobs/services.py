"""Jobs as a user drives them: submit, cancel, delete (each state change a lifecycle move)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from esdl.esdl_handler import EnergySystemHandler

from apps.jobs import lifecycle
from apps.jobs.models import Job
from apps.jobs.workflows import clean_params, offered_workflows, time_limit_for
from apps.models.models import EsdlModel
from apps.models.services import esdl_for_job
from apps.results.services import drop_job_results
from omotes.workflows.optimizer_check import OPTIMIZER_WORKFLOWS, check_model

logger = logging.getLogger(__name__)


def submit_job(user, esdl_model: EsdlModel, workflow: str, params: dict[str, Any]) -> Job:
    """Queue a job; raises ValidationError with a message for the user when it cannot run."""
    offered = offered_workflows().get(workflow)
    if offered is None:
        raise ValidationError(
            f"Workflow {workflow!r} is not offered by any running worker right now."
        )
    cleaned = clean_params(
        offered.description, params, esdl_model.summary.get("profile_period") or None
    )
    esdl = esdl_for_job(esdl_model)
    if workflow in OPTIMIZER_WORKFLOWS:  # refused now, not after its queue and mesido's start
        reasons = check_model(EnergySystemHandler().load_from_string(esdl))
        if reasons:
            raise ValidationError(reasons)
    with transaction.atomic():
        job = Job.objects.create(
            owner=user,
            esdl_model=esdl_model,
            workflow=workflow,
            workflow_version=offered.description.version,
            params=cleaned,
            esdl=esdl,
            time_limit_s=time_limit_for(offered.description),
        )
        lifecycle.transition(job.pk, lifecycle.SUBMIT, detail=f"by {user}")
    return job


def cancel_job(job: Job, by=None) -> bool:
    """Cancel a queued or running job; a running one is stopped by its worker within seconds.

    Returns False when the job had already ended.
    """
    return lifecycle.transition(job.pk, lifecycle.CANCEL, detail=f"by {by}" if by else "")


def delete_job(job: Job) -> None:
    """Remove a job and its results (its InfluxDB database); a running job is cancelled first."""
    cancel_job(job)
    drop_job_results(job)
    job.delete()
