"""Job life cycle as a user drives it: submit, cancel, delete.

Every state change is one conditional UPDATE on the job's status, so the dispatcher, the events
consumer and the reconciler can run at the same time (and a message can arrive twice or late)
without moving a job backwards or out of a terminal state.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.jobs.live import publish_job_state
from apps.jobs.models import Job, JobEvent
from apps.jobs.workflows import clean_params, offered_workflows, time_limit_for
from apps.models.models import EsdlModel
from apps.models.services import esdl_for_job
from apps.results.services import drop_job_results
from omotes import broker as omotes_broker

logger = logging.getLogger(__name__)


def submit_job(user, esdl_model: EsdlModel, workflow: str, params: dict[str, Any]) -> Job:
    """Queue a job; raises ValidationError with a message for the user when it cannot run."""
    offered = offered_workflows().get(workflow)
    if offered is None:
        raise ValidationError(
            f"Workflow {workflow!r} is not offered by any running worker right now."
        )
    cleaned = clean_params(offered.description, params)
    esdl = esdl_for_job(esdl_model)
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
        JobEvent.objects.create(job=job, kind="queued", detail=f"by {user}")
    logger.info("job queued", extra={"job_id": str(job.id), "workflow": workflow})
    return job


def cancel_job(job: Job, by=None) -> bool:
    """Cancel a queued or running job; a running one is stopped by its worker within seconds.

    Returns False when the job had already ended.
    """
    with transaction.atomic():
        changed = Job.objects.filter(pk=job.pk, status__in=Job.ACTIVE).update(
            status=Job.Status.CANCELLED, finished_at=timezone.now(), error="Cancelled by the user."
        )
        if not changed:
            return False
        JobEvent.objects.create(job_id=job.pk, kind="cancelled", detail=f"by {by}" if by else "")
    request_cancel(job.pk)
    publish_job_state(job.pk)
    return True


def request_cancel(job_id, keep_run: str | None = None) -> None:
    """Tell every worker to stop its runs of a job (all, or all but ``keep_run``).

    Sent once the current transaction commits, so no worker acts on a change that rolled back.
    """
    transaction.on_commit(lambda: _send_cancel(job_id, keep_run))


def _send_cancel(job_id, keep_run: str | None) -> None:
    from designtoolkit.broker import get_broker

    try:
        omotes_broker.publish_control(
            get_broker(), {"kind": "cancel", "job_id": str(job_id), "keep_run": keep_run}
        )
    except Exception:  # noqa: BLE001 - the next heartbeat of that worker repeats the request
        logger.warning("cancel not published", extra={"job_id": str(job_id)})


def delete_job(job: Job) -> None:
    """Remove a job and its results (its InfluxDB database); a running job is cancelled first."""
    cancel_job(job)
    drop_job_results(job)
    job.delete()
