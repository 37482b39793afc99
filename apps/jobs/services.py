"""Jobs as a user drives them: submit, cancel, delete (each state change a lifecycle move)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.jobs import lifecycle
from apps.jobs.defaults import FROM_USER, ModelFacts, derived_values
from apps.jobs.estimates import estimate_run, steps_of
from apps.jobs.job_input import job_esdl
from apps.jobs.live import publish_job_state
from apps.jobs.models import NAME_MAX, Job, JobRecord
from apps.jobs.workflows import clean_params, offered_workflows, time_limit_for
from apps.models.models import EsdlModel
from apps.notifications.services import choose_job_email
from apps.outside.services import record_job_inputs
from apps.results.points import drop_job_results
from omotes.estimation import Estimate
from omotes.protocol import WorkflowDescription

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """A job as it would be submitted: checked parameters, where each came from, its size."""

    description: WorkflowDescription
    params: dict[str, Any]
    sources: dict[str, str]
    asset_total: int
    steps: int

    def estimate(self) -> Estimate:
        return estimate_run(self.description, self.asset_total, self.steps)


def prepare_submission(esdl_model: EsdlModel, workflow: str, params: dict[str, Any]) -> Submission:
    """Check a job before it is submitted (or estimated); raises ValidationError, keyed by
    parameter, with a message for the user when it cannot run."""
    offered = offered_workflows().get(workflow)
    if offered is None:
        raise ValidationError(
            f"Workflow {workflow!r} is not offered by any running worker right now."
        )
    description = offered.description
    derived = derived_values(description, ModelFacts.of(esdl_model))
    cleaned = clean_params(
        description,
        params,
        esdl_model.summary.get("profile_period") or None,
        {key: d.value for key, d in derived.items()},
    )
    given = {key for key, value in params.items() if value not in (None, "")}
    return Submission(
        description,
        cleaned,
        {key: FROM_USER if key in given else derived[key].source for key in cleaned},
        int(esdl_model.summary.get("asset_total") or 0),
        steps_of(cleaned),
    )


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
    submission = prepare_submission(esdl_model, workflow, params)
    description = submission.description
    esdl = job_esdl(esdl_model, description)
    expected = submission.estimate()
    with transaction.atomic():
        job = Job.objects.create(
            owner=user,
            esdl_model=esdl_model,
            workflow=workflow,
            workflow_version=description.version,
            params=submission.params,
            esdl=esdl,
            time_limit_s=time_limit_for(description),
        )
        JobRecord.objects.create(
            job=job,
            param_sources=submission.sources,
            asset_total=submission.asset_total,
            steps=submission.steps,
            estimate=expected.to_dict(),
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


def delete_job(job: Job, by=None) -> None:
    """Delete a job's results, keep its history (R24): a running job is cancelled first, its
    InfluxDB database dropped (which takes every read grant on it along) and its outputs
    cleared; the job row, its parameters and events stay, marked "results deleted by X on
    date". Deleting the job's model or project removes the job itself.
    """
    cancel_job(job, by=by)
    drop_job_results(job)
    now = timezone.now()
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(
            series=[], messages=[], kpis=[], output_esdl="", log_tail="", esdl=""
        )
        JobRecord.objects.update_or_create(
            job_id=job.pk,
            defaults={
                "results_deleted_at": now,
                "results_deleted_by": by,
                "results_deleted_by_name": str(by) if by else "the retention policy",
            },
        )
        publish_job_state(job.pk)


def rename_job(job: Job, name: str) -> None:
    """Give the job the name people will know it by; an empty name brings the default back
    (model, workflow, short id). Control characters are refused: the name is shown in page
    titles, lists and notifications."""
    name = name.strip()
    if len(name) > NAME_MAX:
        raise ValidationError(f"A job name has at most {NAME_MAX} characters.")
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise ValidationError("A job name is one line of text, without control characters.")
    job.name = name
    job.save(update_fields=["name"])
