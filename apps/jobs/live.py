"""Live updates to the browsers watching jobs, over Channels groups (R28).

Best effort: the job row in PostgreSQL is the truth, and a page that missed an update gets the
current state again when its websocket reconnects.

A job's state (its row, record, history and queue place: four queries) is built only when a
page has the job open: most moves of most jobs have nobody watching, and building their state
was half of the events consumer's work (bench/load.py). Each job's watchers are a Redis set of
the websocket channels on it; a channel a dead server left behind goes when the set expires.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from redis import Redis

from apps.jobs.estimates import outlook_text, queue_outlook
from apps.jobs.models import Job, JobEvent, JobRecord
from designtoolkit import redis_pools
from designtoolkit.live_sends import group_send

logger = logging.getLogger(__name__)


def job_group(job_id) -> str:
    return f"job-{job_id}"


def viewer_group(user_id: int) -> str:
    """Every job page a user has open listens here for changes to what that user may see."""
    return f"viewer-{user_id}"


#: How long a job's watchers are kept after the last page joined (an orderly close leaves at once).
WATCHERS_TTL_S = 24 * 3600


def _watchers_key(job_id) -> str:
    return f"dt:jobs:watchers:{job_id}"


def _redis() -> Redis:
    return redis_pools.client(settings.REDIS_URL)


def watch(job_id, channel_name: str) -> None:
    """A page's websocket ``channel_name`` follows the job from now on."""
    key = _watchers_key(job_id)
    _redis().pipeline().sadd(key, channel_name).expire(key, WATCHERS_TTL_S).execute()


def unwatch(job_id, channel_name: str) -> None:
    _redis().srem(_watchers_key(job_id), channel_name)  # the last one out removes the set


def is_watched(job_id) -> bool:
    return bool(_redis().exists(_watchers_key(job_id)))


#: The newest history entries a job's state carries (the page shows them live).
HISTORY_SHOWN = 100


def job_state(
    job: Job, record: JobRecord | None = None, events: list[JobEvent] | None = None
) -> dict[str, Any]:
    """What the job page and the API show of a job's progress: its state, the estimate it was
    submitted with, its place in the queue while queued (R18), and its history (R24).

    ``record`` and ``events`` (all of the job's events, oldest first): when the caller read them
    already (the job page shows both), so they are not read twice."""
    if record is None:
        record = JobRecord.objects.filter(job_id=job.pk).first()
    queue = None
    if job.status == Job.Status.QUEUED:
        queue = queue_outlook(job.workflow, job.owner_id, job)
    if events is None:
        events = list(job.events.order_by("-at", "-pk")[:HISTORY_SHOWN])[::-1]
    else:
        events = events[-HISTORY_SHOWN:]
    return {
        **_progress(job),
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "estimate": record.estimate if record else {},
        "queue": queue.to_dict() if queue else None,
        "outlook": outlook_text(record.estimate, queue) if record and record.estimate else "",
        "results_deleted": results_deleted_text(record),
        "history": [
            {
                "at": _iso(e.at),
                "kind": e.kind,
                "worker_id": e.worker_id,
                "detail": e.detail[:200],
            }
            for e in events
        ],
    }


def results_deleted_text(record: JobRecord | None) -> str:
    if record is None or record.results_deleted_at is None:
        return ""
    return (
        f"Results deleted by {record.results_deleted_by_name} on "
        f"{record.results_deleted_at:%Y-%m-%d %H:%M} UTC."
    )


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _progress(job: Job) -> dict[str, Any]:
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
    try:
        if not is_watched(job_id):
            return
        job = Job.objects.filter(pk=job_id).defer("esdl", "output_esdl").first()
        if job is not None:
            group_send(job_group(job.id), {"type": "job.state", "state": job_state(job)})
    except Exception:  # noqa: BLE001 - a Redis hiccup must not lose the event itself
        logger.warning("could not publish the state of job %s", job_id, exc_info=True)


def recheck_open_job_pages(sender, users: set[int], **kwargs) -> None:
    """After a grant changes, make each affected user's open job pages check their access again
    (a receiver of ``access_changed``; a page whose job is no longer visible is closed)."""
    for user_id in users:
        try:
            group_send(viewer_group(user_id), {"type": "access.changed"})
        except Exception:  # noqa: BLE001 - the channel layer is best effort; the page re-checks on reconnect
            logger.warning("could not notify open pages of user %s", user_id, exc_info=True)
