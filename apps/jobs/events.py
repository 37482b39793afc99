"""Applying what workers report (the events consumer's work): a table from event kind to move.

Safe against every delivery accident, because each job event is a lifecycle move that checks the
job's status and run: the same event twice, events of a run the job no longer counts (a duplicate
delivery, a run from before a requeue), events out of order, events of a job that ended or was
deleted. A malformed event is dropped (logged), never retried for ever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils import timezone

from apps.jobs import lifecycle
from apps.jobs.models import Job, JobRecord, Worker
from apps.keyfigures.costing import cost_result
from omotes.protocol import (
    EventKind,
    Heartbeat,
    JobError,
    JobProgress,
    JobResult,
    JobStarted,
    ProtocolError,
    WorkerAnnouncement,
    WorkerEvent,
    WorkerLeave,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    """What a job event says: the run it comes from, the line for the job's history, and the
    job fields it sets."""

    run_id: str
    detail: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


# -- what each kind's typed payload means for the job or the worker: one reader per kind ---------


def _read_started(payload: JobStarted) -> Report:
    return Report(payload.run_id, f"run {payload.run_id[:8]}")


def _read_progress(payload: JobProgress) -> Report:
    return Report(
        payload.run_id,
        fields={
            "progress": payload.fraction,
            "progress_message": payload.message[:200],
            "step": payload.step[:100],
        },
    )


def _read_result(payload: JobResult) -> Report:
    return Report(
        payload.run_id,
        f"{len(payload.series)} series",
        {
            "series": [s.to_dict() for s in payload.series],
            "messages": [m.to_dict() for m in payload.messages],
            "kpis": [k.to_dict() for k in payload.kpis],
            "output_esdl": payload.output_esdl,
            "log_tail": payload.logs,
        },
    )


def _read_error(payload: JobError) -> Report:
    return Report(
        payload.run_id,
        payload.reason,
        {
            "error": payload.reason,
            "messages": [m.to_dict() for m in payload.messages],
            "log_tail": payload.logs,
        },
    )


def _read_announcement(payload: WorkerAnnouncement) -> dict[str, Any]:
    return {
        "host": payload.host[:200],
        "slots": payload.slots,
        "workflows": [w.to_dict() for w in payload.workflows],
        "calibration_s_per_asset_step": payload.calibration_s_per_asset_step or None,
        "contention": payload.contention or None,
    }


# -- the tables --------------------------------------------------------------------------------

# A job event asks for a move of its job.
JOB_EVENTS: dict[EventKind, tuple[lifecycle.Transition, Callable[[Any], Report]]] = {
    EventKind.STARTED: (lifecycle.START, _read_started),
    EventKind.PROGRESS: (lifecycle.PROGRESS, _read_progress),
    EventKind.RESULT: (lifecycle.SUCCEED, _read_result),
    EventKind.ERROR: (lifecycle.FAIL, _read_error),
}


def _record_worker(worker_id: str, announcement: dict[str, Any]) -> None:
    Worker.objects.update_or_create(
        worker_id=worker_id, defaults={**announcement, "last_seen": timezone.now(), "left_at": None}
    )


def _announce(worker_id: str, announcement: WorkerAnnouncement) -> None:
    _record_worker(worker_id, _read_announcement(announcement))


def _heartbeat(worker_id: str, heartbeat: Heartbeat) -> None:
    """A heartbeat refreshes the worker, and stops the runs it lists that their jobs do not
    count (a missed cancel, a duplicate)."""
    _record_worker(worker_id, _read_announcement(heartbeat))
    for run in heartbeat.running:
        lifecycle.stop_uncounted_run(run.job_id, run.run_id)


def _leave(worker_id: str, _: WorkerLeave) -> None:
    """A worker that stops abandons its runs: their jobs go back into the queue (or fail)."""
    Worker.objects.filter(pk=worker_id).update(left_at=timezone.now())
    for job in Job.objects.filter(status=Job.Status.RUNNING, worker_id=worker_id):
        lifecycle.requeue_or_fail(job, f"The worker running this job ({worker_id}) shut down.")


# A worker event changes what the frontend knows of the worker (and of the runs it holds).
WORKER_EVENTS: dict[EventKind, Callable[[str, Any], None]] = {
    EventKind.ANNOUNCE: _announce,
    EventKind.HEARTBEAT: _heartbeat,
    EventKind.LEAVE: _leave,
}


def handle_worker_event(data: dict[str, Any]) -> None:
    """Apply one event; the caller runs it in a transaction (messages go out when it commits)."""
    try:
        event = WorkerEvent.from_dict(data)
        payload = event.typed_payload()
    except ProtocolError as exc:
        logger.warning("dropping malformed worker event (%s): %.300r", exc, data)
        return
    if event.kind in JOB_EVENTS:
        move, read = JOB_EVENTS[event.kind]
        said = read(payload)
        costed = None
        if event.kind is EventKind.RESULT and Job.objects.active().filter(pk=event.job_id).exists():
            # Costs and CO2 are computed now, once, not by the first page that shows them.
            costed = cost_result(event.job_id, payload)
            said = replace(said, fields={**said.fields, "kpis": said.fields["kpis"] + costed.kpis})
        moved = lifecycle.transition(
            event.job_id,
            move,
            run_id=said.run_id,
            worker_id=event.worker_id,
            detail=said.detail,
            **said.fields,
        )
        if moved and costed is not None:
            costed.save(event.job_id)
        if moved and event.kind is EventKind.RESULT:
            # What the runtime estimate learns: the speed the run went at (R18).
            JobRecord.objects.filter(job_id=event.job_id).update(
                run_contention=payload.contention or None
            )
    else:
        WORKER_EVENTS[event.kind](event.worker_id, payload)
