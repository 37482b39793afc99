"""Applying what workers report to the jobs in PostgreSQL (the events consumer's work).

Safe against every delivery accident: the same event twice, events of a run the job no longer
counts (a duplicate delivery, a run from before a requeue), events of a job that ended or was
deleted. Exactly one run of a job is the job's run (``Job.run_id``); other runs are told to stop.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import F
from django.utils import timezone

from apps.jobs.dispatch import requeue_or_fail
from apps.jobs.live import publish_job_state
from apps.jobs.models import Job, JobEvent, Worker
from apps.jobs.services import request_cancel
from omotes.protocol import EventKind, ProtocolError, WorkerEvent

logger = logging.getLogger(__name__)


def handle_worker_event(data: dict[str, Any]) -> None:
    try:
        event = WorkerEvent.from_dict(data)
    except ProtocolError:
        logger.exception("dropping malformed worker event")
        return
    if event.kind in (EventKind.ANNOUNCE, EventKind.HEARTBEAT):
        _record_worker(event)
        if event.kind == EventKind.HEARTBEAT:
            _stop_runs_the_frontend_does_not_count(event)
    elif event.kind == EventKind.LEAVE:
        Worker.objects.filter(pk=event.worker_id).update(left_at=timezone.now())
        for job in Job.objects.filter(status=Job.Status.RUNNING, worker_id=event.worker_id):
            requeue_or_fail(
                job, f"The worker running this job ({event.worker_id}) shut down.", Job.ACTIVE
            )
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


def _stop_runs_the_frontend_does_not_count(event: WorkerEvent) -> None:
    """A worker runs a job it should not (a missed cancel, a duplicate): tell it again."""
    for item in event.payload.get("running", []):
        job_id, run_id = item.get("job_id"), item.get("run_id")
        job = Job.objects.filter(pk=job_id).only("status", "run_id").first()
        if job is None or job.status not in Job.ACTIVE:
            request_cancel(job_id)
        elif job.status == Job.Status.RUNNING and job.run_id != run_id:
            request_cancel(job_id, keep_run=job.run_id)


def _apply_job_event(event: WorkerEvent) -> None:
    jobs = Job.objects.filter(pk=event.job_id)
    payload = event.payload
    run_id = str(payload.get("run_id", ""))
    now = timezone.now()
    detail = ""
    if event.kind == EventKind.STARTED:
        # Every run that becomes the job's run counts as an attempt, whether the dispatcher sent
        # it or the broker redelivered the message of a lost run.
        changed = jobs.filter(status__in=[Job.Status.QUEUED, Job.Status.DISPATCHED]).update(
            status=Job.Status.RUNNING,
            worker_id=event.worker_id,
            run_id=run_id,
            started_at=now,
            progress=0.0,
            attempts=F("attempts") + 1,
        )
        if not changed:
            # Another run is the job's run, or the job ended: this run must stop.
            job = jobs.only("status", "run_id").first()
            keep = job.run_id if job and job.status == Job.Status.RUNNING else None
            request_cancel(event.job_id, keep_run=keep)
        detail = f"run {run_id[:8]}"
    elif event.kind == EventKind.PROGRESS:
        changed = jobs.filter(status=Job.Status.RUNNING, run_id=run_id).update(
            progress=float(payload.get("fraction", 0.0)),
            progress_message=str(payload.get("message", ""))[:200],
            step=str(payload.get("step", ""))[:100],
        )
    elif event.kind == EventKind.RESULT:
        # Any run's result is the job's result: runs of one job compute the same thing.
        changed = jobs.filter(status__in=Job.ACTIVE).update(
            status=Job.Status.SUCCEEDED,
            progress=1.0,
            progress_message="done",
            finished_at=now,
            worker_id=event.worker_id,
            run_id=run_id,
            series=list(payload.get("series", [])),
            messages=list(payload.get("messages", [])),
            kpis=list(payload.get("kpis", [])),
            output_esdl=str(payload.get("output_esdl", "")),
        )
        if changed:
            request_cancel(event.job_id, keep_run=run_id)
        detail = f"{len(payload.get('series', []))} series"
    elif event.kind == EventKind.ERROR:
        # Only the job's own run can fail it; an error of a discarded run is no news.
        changed = jobs.filter(status__in=Job.ACTIVE, run_id__in=[run_id, ""]).update(
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
            "ignored event of a run the job does not count",
            extra={"job_id": str(event.job_id), "kind": event.kind.value, "run_id": run_id},
        )
        return
    if event.kind != EventKind.PROGRESS:
        JobEvent.objects.create(
            job_id=event.job_id, kind=event.kind.value, worker_id=event.worker_id, detail=detail
        )
    publish_job_state(event.job_id)
