"""Live updates to the browsers watching jobs, over Channels groups (R28).

Best effort: the job row in PostgreSQL is the truth, and a page that missed an update gets the
current state again when its websocket reconnects.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from apps.jobs.models import Job

logger = logging.getLogger(__name__)


def job_group(job_id) -> str:
    return f"job-{job_id}"


def viewer_group(user_id: int) -> str:
    """Every job page a user has open listens here for changes to what that user may see."""
    return f"viewer-{user_id}"


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
    """Push the job's state to the browsers watching it, once the current transaction commits
    (a change that rolled back is never shown)."""
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
        logger.warning("could not publish the state of job %s", job_id, exc_info=True)


def recheck_open_job_pages(sender, users: set[int], **kwargs) -> None:
    """After a grant changes, make each affected user's open job pages check their access again
    (a receiver of ``access_changed``; a page whose job is no longer visible is closed)."""
    send = async_to_sync(get_channel_layer().group_send)
    for user_id in users:
        try:
            send(viewer_group(user_id), {"type": "access.changed"})
        except Exception:  # noqa: BLE001 - the channel layer is best effort; the page re-checks on reconnect
            logger.warning("could not notify open pages of user %s", user_id, exc_info=True)
