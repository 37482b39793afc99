"""The job lifecycle: every move a job can make, declared once, and the one function that makes it.

A move is one conditional UPDATE (the job is in one of the move's from-states, and for moves a
run reports, that run is the job's run), the ``JobEvent`` that records it, in one transaction;
then, after commit, the job's state goes to the browsers and (when the move says so) a cancel
request to the workers. So the dispatcher, the events consumer, the reconciler and users can act
at the same time, and a message can arrive twice, late or out of order, without moving a job
backwards or out of a terminal state, and no message goes out for a change that rolled back.

Exactly one run of a job counts: ``Job.run_id``, set when a run starts. Other runs (a duplicate
delivery, a run from before a requeue) are told to stop.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from apps.jobs.live import publish_job_state
from apps.jobs.models import Job, JobEvent
from apps.notifications.services import job_ended
from omotes import broker as omotes_broker
from omotes.protocol import CancelRequest

logger = logging.getLogger(__name__)

Status = Job.Status
Kind = JobEvent.Kind


class Given(enum.Enum):
    """Placeholders in a move's ``sets``, filled in when the move happens."""

    NOW = "the time of the move"
    RUN = "the run_id passed to transition()"
    WORKER = "the worker_id passed to transition()"


class RunCheck(enum.Enum):
    """Which run may make a move, beyond the job's status."""

    ANY = "any run, or none"
    OWN = "only the job's run (Job.run_id equals the run_id passed; empty when not started)"
    OWN_OR_UNSTARTED = "the job's run, or any run while the job has none"


class Stop(enum.Enum):
    """Which runs of the job the workers are told to stop after the move commits."""

    NONE = "none"
    ALL_RUNS = "all runs"
    OTHER_RUNS = "all runs but the one passed"


@dataclass(frozen=True, eq=False)
class Transition:
    """One move of a job: from which statuses to which, the history entry it writes, the fields
    it sets, which run may make it, and which runs must stop once it is made."""

    name: str
    from_states: tuple[Job.Status, ...]
    to: Job.Status
    kind: JobEvent.Kind | None  # the history's entry; None for progress (too many to keep)
    sets: Mapping[str, Any] = field(default_factory=dict)
    run: RunCheck = RunCheck.ANY
    stop: Stop = Stop.NONE
    # A run the move refuses is a run the job does not count: tell it to stop.
    stop_refused_run: bool = False
    # Push the new state to the job's open pages (apps.jobs.live).
    publish: bool = True

    @property
    def wakes_dispatcher(self) -> bool:
        """Whether the move may let a queued job start: the queue grew or a slot freed. A
        dispatch or a start only takes slots; waking for them too doubled the dispatcher's
        rounds (bench/load.py)."""
        return self.to is Status.QUEUED or self.to in Job.TERMINAL


# What a job forgets when it goes back into the queue: its run, worker and progress.
BACK_IN_QUEUE = {"worker_id": "", "run_id": "", "progress": 0.0, "step": ""}

# -- every move a job can make ---------------------------------------------------------------------
# queued -> dispatched -> running -> succeeded | failed | cancelled, with the ways back into the
# queue after a lost run. A job that ended never moves again.

SUBMIT = Transition(
    "submit",  # the row is created QUEUED by submit_job; this records it, in the same transaction
    from_states=(Status.QUEUED,),
    to=Status.QUEUED,
    kind=Kind.QUEUED,
    # The job was created in this transaction: no page of it is open to be told (a page opened
    # later gets the current state when its websocket connects).
    publish=False,
)
DISPATCH = Transition(
    "dispatch",
    from_states=(Status.QUEUED,),
    to=Status.DISPATCHED,
    kind=Kind.DISPATCHED,
    sets={"dispatched_at": Given.NOW},
)
START = Transition(
    # From QUEUED too: the broker may redeliver the message of a lost run after a requeue. Every
    # run that becomes the job's run counts as an attempt.
    "start",
    from_states=(Status.QUEUED, Status.DISPATCHED),
    to=Status.RUNNING,
    kind=Kind.STARTED,
    sets={
        "worker_id": Given.WORKER,
        "run_id": Given.RUN,
        "started_at": Given.NOW,
        "progress": 0.0,
        "attempts": F("attempts") + 1,
    },
    stop_refused_run=True,
)
PROGRESS = Transition(
    "progress",
    from_states=(Status.RUNNING,),
    to=Status.RUNNING,
    kind=None,
    run=RunCheck.OWN,
)
SUCCEED = Transition(
    # Any run's result is the job's result: runs of one job compute the same thing.
    "succeed",
    from_states=Job.ACTIVE,
    to=Status.SUCCEEDED,
    kind=Kind.RESULT,
    sets={
        "finished_at": Given.NOW,
        "worker_id": Given.WORKER,
        "run_id": Given.RUN,
        "progress": 1.0,
        "progress_message": "done",
    },
    stop=Stop.OTHER_RUNS,
)
FAIL = Transition(
    # Only the job's own run can fail it; an error of a discarded run is no news. A run that
    # errs before its start was applied (a worker without the workflow) fails the job too.
    "fail",
    from_states=Job.ACTIVE,
    to=Status.FAILED,
    kind=Kind.ERROR,
    sets={"finished_at": Given.NOW, "worker_id": Given.WORKER},
    run=RunCheck.OWN_OR_UNSTARTED,
    stop=Stop.OTHER_RUNS,
)
CANCEL = Transition(
    "cancel",
    from_states=Job.ACTIVE,
    to=Status.CANCELLED,
    kind=Kind.CANCELLED,
    sets={"finished_at": Given.NOW, "error": "Cancelled by the user."},
    stop=Stop.ALL_RUNS,
)
REQUEUE = Transition(
    # The run judged lost must still be the job's run: a job that moved on is left alone.
    "requeue",
    from_states=(Status.DISPATCHED, Status.RUNNING),
    to=Status.QUEUED,
    kind=Kind.REQUEUED,
    sets=BACK_IN_QUEUE,
    run=RunCheck.OWN,
    stop=Stop.ALL_RUNS,  # in case the worker is alive after all
)
GIVE_UP = Transition(
    "give_up",  # instead of a requeue, once the job used all its attempts
    from_states=(Status.DISPATCHED, Status.RUNNING),
    to=Status.FAILED,
    kind=Kind.FAILED,
    sets={"finished_at": Given.NOW},
    run=RunCheck.OWN,
    stop=Stop.ALL_RUNS,
)
REQUEUE_AFTER_RESTORE = Transition(
    # The restored database knows nothing of the runs since the backup: all of them stop.
    "requeue_after_restore",
    from_states=(Status.DISPATCHED, Status.RUNNING),
    to=Status.QUEUED,
    kind=Kind.REQUEUED,
    sets=BACK_IN_QUEUE,
    stop=Stop.ALL_RUNS,
)
TIME_OUT = Transition(
    "time_out",
    from_states=(Status.RUNNING,),
    to=Status.FAILED,
    kind=Kind.FAILED,
    sets={"finished_at": Given.NOW},
    run=RunCheck.OWN,
    stop=Stop.ALL_RUNS,
)
NO_WORKER = Transition(
    "no_worker",  # no live worker offered the job's workflow for the operator's time
    from_states=(Status.QUEUED,),
    to=Status.FAILED,
    kind=Kind.FAILED,
    sets={"finished_at": Given.NOW},
)


def transition(
    job_id,
    move: Transition,
    *,
    run_id: str | None = None,
    worker_id: str = "",
    detail: str = "",
    **fields: Any,
) -> bool:
    """Make ``move`` if the job is in one of its from-states (and ``run_id`` passes its run
    check); ``fields`` are what the move's caller knows (an error text, a worker's result).

    Returns False when the job is elsewhere: it ended, was deleted, or counts another run.
    Joins the caller's transaction if there is one; messages go out after it commits.
    """
    if move.run is not RunCheck.ANY and run_id is None:
        raise TypeError(f"the {move.name} move needs the run_id it concerns")
    now = timezone.now()
    given = {Given.NOW: now, Given.RUN: run_id or "", Given.WORKER: worker_id}
    values = {
        **{name: given[v] if isinstance(v, Given) else v for name, v in move.sets.items()},
        **fields,
        "status": move.to,
    }
    jobs = Job.objects.filter(pk=job_id, status__in=move.from_states)
    if move.run is RunCheck.OWN:
        jobs = jobs.filter(run_id=run_id)
    elif move.run is RunCheck.OWN_OR_UNSTARTED:
        jobs = jobs.filter(run_id__in=[run_id, ""])
    with transaction.atomic(savepoint=False):
        changed = jobs.update(**values)
        if not changed:
            logger.info(
                "job %s: %s refused (status or run no longer match; run %s from %s)",
                job_id,
                move.name,
                run_id,
                worker_id or "-",
            )
            if move.stop_refused_run:
                stop_uncounted_run(job_id, run_id or "")
            return False
        if move.kind is not None:
            JobEvent.objects.create(
                job_id=job_id, at=now, kind=move.kind, worker_id=worker_id, detail=detail
            )
            logger.info("job %s: %s. %s", job_id, move.name, detail)
        if move.stop is Stop.ALL_RUNS and (run_id or move.run is not RunCheck.OWN):
            # (A job judged by its run that had none, sent but never started, has none to stop.)
            request_cancel(job_id)
        elif move.stop is Stop.OTHER_RUNS:
            request_cancel(job_id, keep_run=run_id)
        if move.publish:
            publish_job_state(job_id)
        if move.wakes_dispatcher:
            wake_dispatcher()
        if move.to in Job.TERMINAL:
            # The one place a job's end is noted for its submitter (e-mail, bell), in this
            # transaction: the notifier tells them, batched, after it commits.
            job_ended(job_id)
    return True


#: The PostgreSQL channel the dispatcher listens on (see ``run_dispatcher``).
DISPATCH_CHANNEL = "dt_dispatch"


def wake_dispatcher() -> None:
    """Tell the dispatcher that the queue or the free slots changed, so a job starts at once
    instead of at its next round. PostgreSQL delivers a NOTIFY when the transaction commits and
    drops it on rollback, so no wake-up goes out for a move that did not happen."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, '')", [DISPATCH_CHANNEL])


def requeue_or_fail(job: Job, reason: str) -> bool:
    """Queue a job again after its run was lost, or fail it once it used all its attempts (R26).

    ``job`` is the job as it was judged lost: if it has moved on since (another run started,
    it ended), nothing happens.
    """
    if job.attempts >= settings.JOB_MAX_ATTEMPTS:
        return transition(
            job.pk,
            GIVE_UP,
            run_id=job.run_id,
            worker_id=job.worker_id,
            detail=reason,
            error=f"{reason} Gave up after {job.attempts} attempts.",
        )
    return transition(job.pk, REQUEUE, run_id=job.run_id, worker_id=job.worker_id, detail=reason)


def stop_uncounted_run(job_id, run_id: str) -> None:
    """Tell a run the job does not count to stop: the job ended or was deleted, or another run
    is the job's run (a missed cancel, a duplicate delivery). A run of a job that waits to
    start may be the one about to count, so it is left alone."""
    job = Job.objects.filter(pk=job_id).only("status", "run_id").first()
    if job is None or job.status not in Job.ACTIVE:
        request_cancel(job_id)
    elif job.status == Status.RUNNING and job.run_id != run_id:
        request_cancel(job_id, keep_run=job.run_id)


def request_cancel(job_id, keep_run: str | None = None) -> None:
    """Tell every worker to stop its runs of a job (all, or all but ``keep_run``).

    Sent once the current transaction commits, so no worker acts on a change that rolled back.
    A worker that misses it hears it again in answer to its next heartbeat.
    """
    transaction.on_commit(lambda: _send_cancel(job_id, keep_run))


def _send_cancel(job_id, keep_run: str | None) -> None:
    from designtoolkit.broker import get_broker

    try:
        omotes_broker.publish_control(get_broker(), CancelRequest(uuid.UUID(str(job_id)), keep_run))
    except Exception:  # noqa: BLE001 - the next heartbeat of that worker repeats the request
        logger.warning("cancel of job %s not published", job_id, exc_info=True)
