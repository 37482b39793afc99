"""How long a job will run and when it will start, from the product's own history (R18).

The arithmetic is :mod:`omotes.estimation`; this module feeds it: the finished runs of the
workflow's runtime family (each workflow's of its version now once there are a few), each with
the size it was submitted with (``JobRecord``) and the speed it ran at (its worker's announced
calibration run times the contention the run met), the speed of the live workers that offer
the workflow now (their calibration; the contention they announce only widens the range, see
:mod:`omotes.estimation`), and the queue as the dispatcher's policy would order it, slot by
slot at each slot's worker's speed.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F
from django.utils import timezone

from apps.jobs.models import Job, JobRecord, Worker
from apps.jobs.qos import current_policy
from apps.jobs.workflows import offered_workflows
from omotes.estimation import (
    Estimate,
    PastRun,
    estimate,
    queue_start_s,
    recency_weight,
    speed_factor,
)
from omotes.protocol import WorkflowDescription
from omotes.scheduling import QueuedJob, RunningJob

#: The most recent finished runs an estimate learns from.
HISTORY = 200
#: Runs of the same version it takes before older versions no longer count.
SAME_VERSION = 3
#: A pseudo fairness key for the job a user is still configuring.
NOT_YET_SUBMITTED = "not-yet-submitted"


def steps_of(params: dict[str, Any]) -> int:
    """Time steps of a job's period (start to end, both included); 1 without a period."""
    try:
        start = datetime.fromisoformat(params["start"])
        end = datetime.fromisoformat(params["end"])
        step_s = float(params["timestep_s"])
    except (KeyError, TypeError, ValueError):
        return 1
    if step_s <= 0 or end < start:
        return 1
    return int((end - start).total_seconds() // step_s) + 1


def worker_speeds() -> tuple[dict[str, float], float | None]:
    """Speed factors of the workers that announced a calibration, by worker id, and their
    median: the speed taken for a worker that announced none (one that predates calibration
    or could not run it). None when no worker ever announced one. The factor is the machine's
    (its calibration run, in CPU seconds), not how busy it is: see :func:`live_slots`."""
    measured = Worker.objects.filter(calibration_s_per_asset_step__gt=0).values_list(
        "worker_id", "calibration_s_per_asset_step"
    )
    speeds = {worker_id: speed_factor(seconds) for worker_id, seconds in measured}
    if not speeds:
        return {}, None
    return speeds, statistics.median(speeds.values())


def family_of(description: WorkflowDescription) -> dict[str, str]:
    """The workflows whose runs the estimate of ``description`` learns from, each with its
    version now: those of its runtime family that live workers offer (itself included, even
    when none does)."""
    members = {
        name: offered.description.version
        for name, offered in offered_workflows().items()
        if offered.description.family == description.family
    }
    return {**members, description.name: description.version}


def past_runs(workflow: str, version: str, family: dict[str, str] | None = None) -> list[PastRun]:
    """Finished runs of the workflow (and of the other members of its runtime ``family``,
    workflow name -> version now) with the size they had and the speed they ran at (their
    worker's calibration times the contention it measured while they ran), newest first."""
    family = family or {workflow: version}
    speeds, typical = worker_speeds()
    records = (
        JobRecord.objects.filter(
            job__workflow__in=list(family),
            job__status=Job.Status.SUCCEEDED,
            job__started_at__isnull=False,
            job__finished_at__isnull=False,
        )
        .annotate(
            workflow=F("job__workflow"),
            version=F("job__workflow_version"),
            took=F("job__finished_at") - F("job__started_at"),
            worker=F("job__worker_id"),
        )
        .order_by("-job__finished_at")
        .values_list(
            "workflow", "version", "asset_total", "steps", "took", "worker", "run_contention"
        )[:HISTORY]
    )
    rows = [row for row in records if row[4].total_seconds() > 0]
    # Per workflow: its runs of the version now once there are a few, else all of them.
    same = {
        name: sum(1 for row in rows if row[0] == name and row[1] == current)
        for name, current in family.items()
    }
    chosen = [row for row in rows if same[row[0]] < SAME_VERSION or row[1] == family[row[0]]]
    return [
        PastRun(
            assets,
            steps,
            took.total_seconds(),
            recency_weight(index),
            speeds.get(w, typical or 1.0) * (contention or 1.0),
            name if name != workflow else "",
        )
        for index, (name, _, assets, steps, took, w, contention) in enumerate(chosen)
    ]


@dataclass(frozen=True)
class Slot:
    """One slot of a live worker that offers the workflow: its worker, its speed factor (its
    calibration) and the contention it announced last."""

    worker_id: str
    speed: float
    measured: bool  # False: the worker announced no calibration; ``speed`` is the typical one
    contention: float = 1.0


def live_slots(workflow: str) -> list[Slot]:
    """The slots of the live workers that offer the workflow."""
    speeds, typical = worker_speeds()
    workers = Worker.objects.alive().filter(workflows__contains=[{"name": workflow}])
    return [
        Slot(
            worker.worker_id,
            speeds.get(worker.worker_id, typical or 1.0),
            worker.worker_id in speeds,
            worker.contention or 1.0,
        )
        for worker in workers.order_by("worker_id")
        for _ in range(worker.slots)
    ]


def expected_speed(slots: list[Slot]) -> float | None:
    """The speed a job of the workflow will likely run at: the mean over the live slots (a job
    takes whichever frees first); when none measured its speed, the typical speed of the
    workers that did (the job waits for a worker like them); None when none measured either."""
    if not any(slot.measured for slot in slots):
        return worker_speeds()[1]
    return sum(slot.speed for slot in slots) / len(slots)


def estimate_run(description: WorkflowDescription, asset_total: int, steps: int) -> Estimate:
    slots = live_slots(description.name)
    return estimate(
        asset_total,
        steps,
        past_runs(description.name, description.version, family_of(description)),
        description.runtime_prior,
        expected_speed(slots),
        workflow=description.name,
        contention=sum(s.contention for s in slots) / len(slots) if slots else None,
    )


@dataclass(frozen=True)
class QueueOutlook:
    """Where a job stands in the queue of its workflow."""

    ahead: int  # queued jobs that start before it
    starts_in_s: float  # inf: no live worker offers the workflow
    slots: int

    def to_dict(self) -> dict[str, Any]:
        starts = None if math.isinf(self.starts_in_s) else round(self.starts_in_s, 1)
        return {"ahead": self.ahead, "starts_in_s": starts, "slots": self.slots}


def _reference_s(record: JobRecord | None) -> float:
    """A job's expected seconds on the reference machine, as estimated at submit."""
    figures = (record.estimate or {}) if record else {}
    return float(figures.get("reference_s") or figures.get("seconds") or 60.0)


def queue_outlook(workflow: str, owner_id: int | None, job: Job | None = None) -> QueueOutlook:
    """The queue seen by ``job`` (queued), or by a job ``owner_id`` would submit now: how many
    start before it in the order the operator's policy picks, and when a slot frees for it
    given the estimates of the runs and queued jobs before it, each at the speed of the
    worker whose slot it has or gets."""
    slots = live_slots(workflow)
    jobs = Job.objects.filter(workflow=workflow, status__in=Job.ACTIVE).select_related("record")
    jobs = jobs.only(
        "id", "status", "owner_id", "created_at", "started_at", "worker_id", "record__estimate"
    )
    now = timezone.now()
    running, queued = [], []
    for other in jobs:
        (queued if other.status == Job.Status.QUEUED else running).append(other)
    # Busy slots first (each running job on a slot of its worker), then the free ones.
    free = list(slots)
    busy: list[tuple[float, float]] = []
    for r in running:
        slot = next((s for s in free if s.worker_id == r.worker_id), None)
        if slot is None:
            continue  # dispatched, not started yet, or on a worker no longer live
        free.remove(slot)
        elapsed = (now - (r.started_at or now)).total_seconds()
        busy.append((_reference_s(getattr(r, "record", None)) * slot.speed - elapsed, slot.speed))
    policy = current_policy()
    waiting = [
        QueuedJob(str(q.id), workflow, str(q.owner_id), q.created_at, policy.priority(q))
        for q in queued
    ]
    me = str(job.id) if job else NOT_YET_SUBMITTED
    if job is None:
        mine = Job(owner_id=owner_id)
        waiting.append(QueuedJob(me, workflow, str(owner_id), now, policy.priority(mine)))
    order = policy.choose(
        waiting,
        [RunningJob(str(r.id), workflow, str(r.owner_id)) for r in running],
        {workflow: len(waiting)},
    )
    ordered = [q.job_id for q in order]
    ordered += [
        q.job_id for q in sorted(waiting, key=lambda q: q.queued_at) if q.job_id not in ordered
    ]
    position = ordered.index(me) if me in ordered else len(ordered)
    by_id = {str(q.id): q for q in queued}
    ahead_s = [_reference_s(getattr(by_id[i], "record", None)) for i in ordered[:position]]
    starts_in = (
        queue_start_s(
            [remaining for remaining, _ in busy],
            ahead_s,
            len(slots),
            [speed for _, speed in busy] + [slot.speed for slot in free],
        )
        if slots
        else math.inf
    )
    return QueueOutlook(position, starts_in, len(slots))


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def outlook_text(
    run: Estimate | dict[str, Any], queue: QueueOutlook | None, time_limit_s: int | None = None
) -> str:
    """For a person: "about 3 min (2 min to 5 min, ...); starts in ~1 min behind 2 jobs", and
    with ``time_limit_s`` the workflow's time limit next to it, with a warning when the likely
    range reaches it (an optimiser on a large network can run for hours)."""
    figures = run.to_dict() if isinstance(run, Estimate) else run
    text = (
        f"about {_duration(figures['seconds'])} "
        f"({_duration(figures['low_s'])} to {_duration(figures['high_s'])}, "
        f"from {figures['basis']})"
    )
    if time_limit_s:
        text += f"; time limit {_duration(time_limit_s)}"
        if figures["seconds"] >= time_limit_s:
            text += " (it will likely be stopped at the limit)"
        elif figures["high_s"] >= time_limit_s:
            text += " (it may be stopped at the limit)"
    if queue is None:
        return text
    if math.isinf(queue.starts_in_s):
        return text + "; no live worker offers this workflow, so it waits for one"
    behind = f" behind {queue.ahead} job{'s' if queue.ahead != 1 else ''}" if queue.ahead else ""
    if queue.starts_in_s < 1 and not queue.ahead:
        return text + "; starts at once"
    return text + f"; starts in ~{_duration(queue.starts_in_s)}{behind}"
