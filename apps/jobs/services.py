"""Job life cycle: submit, dispatch, react to worker events, reconcile.

Every state change is one conditional UPDATE on the job's status, so the dispatcher, the events
consumer and the reconciler can run at the same time (and a message can arrive twice or late)
without moving a job backwards or out of a terminal state.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from apps.jobs.models import Job, JobEvent, Worker
from apps.jobs.workflows import clean_params, offered_workflows
from apps.models.models import EsdlModel
from apps.models.services import esdl_for_job
from omotes import broker as omotes_broker
from omotes.protocol import EventKind, JobRequest, ProtocolError, WorkerEvent
from omotes.scheduling import QueuedJob, RunningJob, choose_jobs_to_start

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
            time_limit_s=offered.description.default_time_limit_s,
        )
        JobEvent.objects.create(job=job, kind="queued", detail=f"by {user}")
    logger.info("job queued", extra={"job_id": str(job.id), "workflow": workflow})
    return job


# -- dispatcher -------------------------------------------------------------------------------


def free_slots_by_workflow() -> dict[str, int]:
    """Slots of live workers per workflow minus the jobs already sent to or running on them."""
    free = {name: entry.slots for name, entry in offered_workflows().items()}
    busy = (
        Job.objects.filter(status__in=[Job.Status.DISPATCHED, Job.Status.RUNNING])
        .values("workflow")
        .annotate(n=Count("id"))
    )
    for row in busy:
        if row["workflow"] in free:
            free[row["workflow"]] -= row["n"]
    return free


def dispatch_ready_jobs(broker=None) -> int:
    """Send as many queued jobs as there are free worker slots, in the order the policy picks.

    The message is published (with publisher confirms) before the status change commits: if this
    process dies in between, the job stays QUEUED and is sent again, so a job can be delivered
    twice but never lost. Returns the number of jobs sent.
    """
    from designtoolkit.broker import get_broker

    broker = broker or get_broker()
    free = free_slots_by_workflow()
    if not any(n > 0 for n in free.values()):
        return 0
    with transaction.atomic():
        queued = list(
            Job.objects.filter(status=Job.Status.QUEUED, workflow__in=list(free))
            .select_for_update(skip_locked=True)
            .order_by("created_at")[:1000]
        )
        if not queued:
            return 0
        running = Job.objects.filter(status__in=[Job.Status.DISPATCHED, Job.Status.RUNNING])
        chosen = choose_jobs_to_start(
            [QueuedJob(str(j.id), j.workflow, str(j.owner_id), j.created_at) for j in queued],
            [RunningJob(str(j.id), j.workflow, str(j.owner_id)) for j in running],
            free,
        )
        by_id = {str(j.id): j for j in queued}
        now = timezone.now()
        for choice in chosen:
            job = by_id[choice.job_id]
            job.attempts += 1
            omotes_broker.send(
                broker,
                omotes_broker.workflow_queue(job.workflow),
                omotes_broker.job_actor_name(job.workflow),
                JobRequest(
                    job_id=job.id,
                    workflow=job.workflow,
                    esdl=job.esdl,
                    params=job.params,
                    time_limit_s=job.time_limit_s,
                    attempt=job.attempts,
                ).to_dict(),
            )
            Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
                status=Job.Status.DISPATCHED, dispatched_at=now, attempts=job.attempts
            )
            JobEvent.objects.create(job=job, kind="dispatched", detail=f"attempt {job.attempts}")
    for choice in chosen:
        publish_job_state(by_id[choice.job_id].pk)
    return len(chosen)


def reconcile_jobs() -> int:
    """Fail jobs whose worker is gone or whose time ran out, so no job stays active forever.

    A worker is gone when it said so ("leave") or sent no heartbeat for WORKER_TIMEOUT_S.
    Returns the number of jobs failed.
    """
    now = timezone.now()
    failed = 0
    alive = set(Worker.objects.alive().values_list("worker_id", flat=True))
    for job in Job.objects.filter(status=Job.Status.RUNNING).exclude(worker_id__in=alive):
        failed += fail_job(
            job.pk,
            f"The worker running this job ({job.worker_id}) stopped responding.",
            statuses=[Job.Status.RUNNING],
        )
    overdue = Job.objects.filter(status=Job.Status.RUNNING, started_at__isnull=False).filter(
        Q(started_at__lt=now - timedelta(seconds=settings.JOB_DEADLINE_GRACE_S))
    )
    for job in overdue:
        if (
            job.started_at + timedelta(seconds=job.time_limit_s + settings.JOB_DEADLINE_GRACE_S)
            < now
        ):
            failed += fail_job(
                job.pk,
                f"Time limit of {job.time_limit_s} s exceeded.",
                statuses=[Job.Status.RUNNING],
            )
    return failed


def fail_job(job_id, reason: str, statuses=Job.ACTIVE, worker_id: str = "") -> int:
    changed = Job.objects.filter(pk=job_id, status__in=list(statuses)).update(
        status=Job.Status.FAILED, error=reason, finished_at=timezone.now()
    )
    if changed:
        JobEvent.objects.create(job_id=job_id, kind="failed", worker_id=worker_id, detail=reason)
        logger.info("job failed", extra={"job_id": str(job_id), "reason": reason})
        publish_job_state(job_id)
    return changed


# -- events from workers ------------------------------------------------------------------------


def handle_worker_event(data: dict[str, Any]) -> None:
    """Apply one message from the events queue. Safe to call twice with the same message."""
    try:
        event = WorkerEvent.from_dict(data)
    except ProtocolError:
        logger.exception("dropping malformed worker event")
        return
    if event.kind in (EventKind.ANNOUNCE, EventKind.HEARTBEAT):
        _record_worker(event)
    elif event.kind == EventKind.LEAVE:
        Worker.objects.filter(pk=event.worker_id).update(left_at=timezone.now())
        for job in Job.objects.active().filter(worker_id=event.worker_id):
            fail_job(job.pk, f"The worker running this job ({event.worker_id}) shut down.")
    elif event.job_id is not None:
        _apply_job_event(event)


def _record_worker(event: WorkerEvent) -> None:
    payload = event.payload
    Worker.objects.update_or_create(
        worker_id=event.worker_id,
        defaults={
            "host": str(payload.get("host", ""))[:200],
            "slots": int(payload.get("slots", 1)),
            "workflows": list(payload.get("workflows", [])),
            "last_seen": timezone.now(),
            "left_at": None,
        },
    )


def _apply_job_event(event: WorkerEvent) -> None:
    jobs = Job.objects.filter(pk=event.job_id)
    payload = event.payload
    now = timezone.now()
    if event.kind == EventKind.STARTED:
        changed = jobs.filter(status__in=[Job.Status.QUEUED, Job.Status.DISPATCHED]).update(
            status=Job.Status.RUNNING, worker_id=event.worker_id, started_at=now, progress=0.0
        )
        detail = f"attempt {payload.get('attempt', 1)}"
    elif event.kind == EventKind.PROGRESS:
        changed = jobs.filter(status=Job.Status.RUNNING, worker_id=event.worker_id).update(
            progress=float(payload.get("fraction", 0.0)),
            progress_message=str(payload.get("message", ""))[:200],
        )
        detail = ""  # progress is not part of the history
    elif event.kind == EventKind.RESULT:
        changed = jobs.filter(status__in=Job.ACTIVE).update(
            status=Job.Status.SUCCEEDED,
            progress=1.0,
            progress_message="done",
            finished_at=now,
            worker_id=event.worker_id,
            series=list(payload.get("series", [])),
            messages=list(payload.get("messages", [])),
            output_esdl=str(payload.get("output_esdl", "")),
        )
        detail = f"{len(payload.get('series', []))} series"
    elif event.kind == EventKind.ERROR:
        changed = jobs.filter(status__in=Job.ACTIVE).update(
            status=Job.Status.FAILED,
            error=str(payload.get("reason", "unknown error")),
            finished_at=now,
            worker_id=event.worker_id,
        )
        detail = str(payload.get("reason", ""))
    else:
        return
    if not changed:
        logger.info(
            "ignored stale event",
            extra={"job_id": str(event.job_id), "kind": event.kind.value},
        )
        return
    if detail or event.kind != EventKind.PROGRESS:
        JobEvent.objects.create(
            job_id=event.job_id, kind=event.kind.value, worker_id=event.worker_id, detail=detail
        )
    publish_job_state(event.job_id)


# -- live updates ---------------------------------------------------------------------------------


def job_group(job_id) -> str:
    return f"job-{job_id}"


def job_state(job: Job) -> dict[str, Any]:
    """What the job page and the API show of a job's progress."""
    return {
        "id": str(job.id),
        "status": job.status,
        "progress": job.progress,
        "progress_message": job.progress_message,
        "error": job.error,
        "series_count": len(job.series),
        "value_count": job.value_count,
    }


def publish_job_state(job_id) -> None:
    """Push the job's current state to the browsers watching it (best effort)."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return
    try:
        async_to_sync(get_channel_layer().group_send)(
            job_group(job.id), {"type": "job.state", "state": job_state(job)}
        )
    except Exception:  # noqa: BLE001 - a Redis hiccup must not lose the event itself
        logger.warning("could not publish job state", exc_info=True)
