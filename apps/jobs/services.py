"""Job life cycle as a user drives it: submit, cancel, delete; and live updates to browsers.

Every state change is one conditional UPDATE on the job's status, so the dispatcher, the events
consumer and the reconciler can run at the same time (and a message can arrive twice or late)
without moving a job backwards or out of a terminal state.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

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


# -- live updates ---------------------------------------------------------------------------------


def job_group(job_id) -> str:
    return f"job-{job_id}"


def viewer_group(user_id: int) -> str:
    """Every job page a user has open listens here for changes to what that user may see."""
    return f"viewer-{user_id}"


def recheck_open_job_pages(sender, users: set[int], **kwargs) -> None:
    """After a grant changes, make each affected user's open job pages check their access again
    (a receiver of ``access_changed``; a page whose job is no longer visible is closed)."""
    send = async_to_sync(get_channel_layer().group_send)
    for user_id in users:
        try:
            send(viewer_group(user_id), {"type": "access.changed"})
        except Exception:  # noqa: BLE001 - the channel layer is best effort; the page re-checks on reconnect
            logger.warning("could not notify open pages of user %s", user_id, exc_info=True)


def job_state(job: Job) -> dict[str, Any]:
    """What the job page and the API show of a job's progress."""
    return {
        "id": str(job.id),
        "status": job.status,
        "progress": job.progress,
        "progress_message": job.progress_message,
        "step": job.step,
        "attempts": job.attempts,
        "error": job.error,
        "series_count": len(job.series),
        "value_count": job.value_count,
    }


def publish_job_state(job_id) -> None:
    """Push the job's state to the browsers watching it (best effort), once committed."""
    transaction.on_commit(lambda: _send_job_state(job_id))


def _send_job_state(job_id) -> None:
    job = Job.objects.filter(pk=job_id).defer("esdl", "output_esdl").first()
    if job is None:
        return
    try:
        async_to_sync(get_channel_layer().group_send)(
            job_group(job.id), {"type": "job.state", "state": job_state(job)}
        )
    except Exception:  # noqa: BLE001 - a Redis hiccup must not lose the event itself
        logger.warning("could not publish job state", exc_info=True)
