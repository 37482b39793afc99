"""Jobs as a user drives them: submit, cancel, delete (each state change a lifecycle move)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.jobs import lifecycle
from apps.jobs.models import Job
from apps.jobs.preflight import check_before_submit
from apps.jobs.workflows import clean_params, offered_workflows, time_limit_for
from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_intake import EsdlRejected
from apps.models.models import EsdlModel
from apps.models.services import esdl_for_job, refusal
from apps.notifications.services import choose_job_email
from apps.outside.services import record_job_inputs
from apps.results.services import drop_job_results

logger = logging.getLogger(__name__)


def submit_job(
    user,
    esdl_model: EsdlModel,
    workflow: str,
    params: dict[str, Any],
    notify_email: bool | None = None,
) -> Job:
    """Queue a job; raises ValidationError with a message for the user when it cannot run:
    :class:`~apps.jobs.preflight.ModelCannotRun`, naming the assets, when the workflow's
    pre-flight check refuses the model.

    ``notify_email``: whether its end is e-mailed to the user (None: their account's default).
    """
    offered = offered_workflows().get(workflow)
    if offered is None:
        raise ValidationError(
            f"Workflow {workflow!r} is not offered by any running worker right now."
        )
    cleaned = clean_params(
        offered.description, params, esdl_model.summary.get("profile_period") or None
    )
    try:
        document = EsdlDocument(esdl_model.esdl)
    except EsdlRejected as exc:
        raise refusal(exc) from exc
    check_before_submit(esdl_model, offered.description, document)
    esdl = esdl_for_job(esdl_model, document)
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
        record_job_inputs(job)  # where its input profiles and pipes came from (apps.outside)
        lifecycle.transition(job.pk, lifecycle.SUBMIT, detail=f"by {user}")
        choose_job_email(job, notify_email)
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
