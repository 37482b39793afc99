"""Applying what workers report (the events consumer's work): a table from event kind to move.

Safe against every delivery accident, because each job event is a lifecycle move that checks the
job's status and run: the same event twice, events of a run the job no longer counts (a duplicate
delivery, a run from before a requeue), events out of order, events of a job that ended or was
deleted. A malformed event is dropped (logged), never retried for ever.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from apps.jobs import lifecycle
from apps.jobs.models import Job, Worker
from omotes.protocol import EventKind, ProtocolError, WorkerEvent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    """What a job event says: the run it comes from, the line for the job's history, and the
    job fields it sets."""

    run_id: str
    detail: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


Heartbeat = tuple[dict[str, Any], list[tuple[uuid.UUID, str]]]

# -- how each kind's payload is read: the one place per kind (WorkerEvent describes them) ------


def _read_started(payload: dict[str, Any]) -> Report:
    run_id = str(payload.get("run_id", ""))
    return Report(run_id, f"run {run_id[:8]}")


def _read_progress(payload: dict[str, Any]) -> Report:
    return Report(
        str(payload.get("run_id", "")),
        fields={
            "progress": float(payload.get("fraction", 0.0)),
            "progress_message": str(payload.get("message", ""))[:200],
            "step": str(payload.get("step", ""))[:100],
        },
    )


def _read_result(payload: dict[str, Any]) -> Report:
    series = list(payload.get("series", []))
    return Report(
        str(payload.get("run_id", "")),
        f"{len(series)} series",
        {
            "series": series,
            "messages": list(payload.get("messages", [])),
            "kpis": list(payload.get("kpis", [])),
            "output_esdl": str(payload.get("output_esdl", "")),
        },
    )


def _read_error(payload: dict[str, Any]) -> Report:
    reason = str(payload.get("reason", "") or "unknown error")
    return Report(str(payload.get("run_id", "")), reason, {"error": reason})


def _read_announcement(payload: dict[str, Any]) -> dict[str, Any]:
    workflows = list(payload.get("workflows", []))
    if not all(isinstance(w, dict) and isinstance(w.get("name"), str) for w in workflows):
        raise ValueError("every announced workflow needs a name")
    return {
        "host": str(payload.get("host", ""))[:200],
        "slots": int(payload.get("slots", 1)),
        "workflows": workflows,
    }


def _read_heartbeat(payload: dict[str, Any]) -> Heartbeat:
    running = [(uuid.UUID(str(r["job_id"])), str(r["run_id"])) for r in payload.get("running", [])]
    return _read_announcement(payload), running


def _read_leave(payload: dict[str, Any]) -> None:
    return None


# -- the tables --------------------------------------------------------------------------------

# A job event asks for a move of its job.
JOB_EVENTS: dict[EventKind, tuple[lifecycle.Transition, Callable[[dict[str, Any]], Report]]] = {
    EventKind.STARTED: (lifecycle.START, _read_started),
    EventKind.PROGRESS: (lifecycle.PROGRESS, _read_progress),
    EventKind.RESULT: (lifecycle.SUCCEED, _read_result),
    EventKind.ERROR: (lifecycle.FAIL, _read_error),
}


def _record_worker(worker_id: str, announcement: dict[str, Any]) -> None:
    Worker.objects.update_or_create(
        worker_id=worker_id, defaults={**announcement, "last_seen": timezone.now(), "left_at": None}
    )


def _heartbeat(worker_id: str, heartbeat: Heartbeat) -> None:
    """A heartbeat refreshes the worker, and stops the runs it lists that their jobs do not
    count (a missed cancel, a duplicate)."""
    announcement, running = heartbeat
    _record_worker(worker_id, announcement)
    for job_id, run_id in running:
        lifecycle.stop_uncounted_run(job_id, run_id)


def _leave(worker_id: str, _: None) -> None:
    """A worker that stops abandons its runs: their jobs go back into the queue (or fail)."""
    Worker.objects.filter(pk=worker_id).update(left_at=timezone.now())
    for job in Job.objects.filter(status=Job.Status.RUNNING, worker_id=worker_id):
        lifecycle.requeue_or_fail(job, f"The worker running this job ({worker_id}) shut down.")


# A worker event changes what the frontend knows of the worker (and of the runs it holds).
WORKER_EVENTS: dict[
    EventKind, tuple[Callable[[dict[str, Any]], Any], Callable[[str, Any], None]]
] = {
    EventKind.ANNOUNCE: (_read_announcement, _record_worker),
    EventKind.HEARTBEAT: (_read_heartbeat, _heartbeat),
    EventKind.LEAVE: (_read_leave, _leave),
}

# What reading a payload raises when the payload is not what its kind promises.
MALFORMED = (ProtocolError, KeyError, TypeError, ValueError, AttributeError)


def handle_worker_event(data: dict[str, Any]) -> None:
    """Apply one event; the caller runs it in a transaction (messages go out when it commits)."""
    try:
        event = WorkerEvent.from_dict(data)
        if event.kind in JOB_EVENTS:
            move, read = JOB_EVENTS[event.kind]
            if event.job_id is None:
                raise ProtocolError(f"a {event.kind} event needs a job id")
        else:
            read, act = WORKER_EVENTS[event.kind]
        said = read(event.payload)
    except MALFORMED as exc:
        logger.warning("dropping malformed worker event (%s): %.300r", exc, data)
        return
    if event.kind in JOB_EVENTS:
        lifecycle.transition(
            event.job_id,
            move,
            run_id=said.run_id,
            worker_id=event.worker_id,
            detail=said.detail,
            **said.fields,
        )
    else:
        act(event.worker_id, said)
