"""Events as a worker sends them, handed to the events consumer's code directly."""

from __future__ import annotations

from datetime import UTC, datetime

from apps.jobs.events import handle_worker_event
from apps.jobs.models import Job
from omotes.protocol import JOB_EVENTS, EventKind, WorkerEvent
from omotes.workflows.base import Workflow, describe
from omotes.workflows.examples import sleeper


def event(kind: EventKind, worker: str, job: Job | None = None, **payload) -> dict:
    """The event's wire form; a job event is of the first delivery unless ``attempt`` says."""
    if kind in JOB_EVENTS:
        payload.setdefault("attempt", 1)
    if kind == EventKind.RESULT:
        payload.setdefault("output_esdl", "<esdl:EnergySystem/>")
    return WorkerEvent(kind, worker, datetime.now(UTC), job.id if job else None, payload).to_dict()


def deliver(kind: EventKind, worker: str, job: Job | None = None, **payload) -> None:
    """One event as a worker sends it, through the events consumer's code."""
    handle_worker_event(event(kind, worker, job, **payload))


def announce(worker: str, *workflows: Workflow) -> None:
    """A worker announces itself, offering the given workflows (the sleeper by default)."""
    offered = [describe(w).to_dict() for w in workflows or (sleeper,)]
    deliver(EventKind.ANNOUNCE, worker, host="h", slots=1, workflows=offered)
