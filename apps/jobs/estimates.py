"""How long a job will run and when it will start, from the product's own history (R18).

The arithmetic is :mod:`omotes.estimation`; this module feeds it: the finished runs of the same
workflow (of the same version once there are a few), each with the size it was submitted with
(``JobRecord``), and the queue as the dispatcher's policy would order it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F
from django.utils import timezone

from apps.jobs.models import Job, JobRecord
from apps.jobs.qos import current_policy
from apps.jobs.workflows import offered_workflows
from omotes.estimation import Estimate, PastRun, estimate, queue_start_s
from omotes.protocol import WorkflowDescription
from omotes.scheduling import QueuedJob, RunningJob

#: The most recent finished runs an estimate learns from.
HISTORY = 200
#: Runs after which a finished run counts half as much as the newest.
RECENT_HALF_LIFE = 5
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


def past_runs(workflow: str, version: str) -> list[PastRun]:
    """Finished runs of the workflow with the size they had, newest first."""
    records = (
        JobRecord.objects.filter(
            job__workflow=workflow,
            job__status=Job.Status.SUCCEEDED,
            job__started_at__isnull=False,
            job__finished_at__isnull=False,
        )
        .annotate(
            version=F("job__workflow_version"), took=F("job__finished_at") - F("job__started_at")
        )
        .order_by("-job__finished_at")
        .values_list("version", "asset_total", "steps", "took")[:HISTORY]
    )
    rows = [(v, assets, steps, took.total_seconds()) for v, assets, steps, took in records]
    same = [row for row in rows if row[0] == version]
    chosen = [row for row in (same if len(same) >= SAME_VERSION else rows) if row[3] > 0]
    # Newest first; a run counts half as much RECENT_HALF_LIFE runs later (the host's speed
    # drifts with its load, and so do the workers).
    return [
        PastRun(assets, steps, seconds, 0.5 ** (index / RECENT_HALF_LIFE))
        for index, (_, assets, steps, seconds) in enumerate(chosen)
    ]


def estimate_run(description: WorkflowDescription, asset_total: int, steps: int) -> Estimate:
    return estimate(
        asset_total,
        steps,
        past_runs(description.name, description.version),
        description.runtime_prior,
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


def _expected_s(record: JobRecord | None) -> float:
    return float((record.estimate or {}).get("seconds", 60.0)) if record else 60.0


def queue_outlook(workflow: str, owner_id: int | None, job: Job | None = None) -> QueueOutlook:
    """The queue seen by ``job`` (queued), or by a job ``owner_id`` would submit now: how many
    start before it in the order the operator's policy picks, and when a slot frees for it
    given the estimates of the runs and queued jobs before it."""
    offered = offered_workflows().get(workflow)
    slots = offered.slots if offered else 0
    jobs = Job.objects.filter(workflow=workflow, status__in=Job.ACTIVE).select_related("record")
    jobs = jobs.only("id", "status", "owner_id", "created_at", "started_at", "record__estimate")
    now = timezone.now()
    running, queued = [], []
    for other in jobs:
        (queued if other.status == Job.Status.QUEUED else running).append(other)
    remaining = [
        _expected_s(getattr(r, "record", None)) - (now - (r.started_at or now)).total_seconds()
        for r in running
    ]
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
    ahead_s = [_expected_s(getattr(by_id[i], "record", None)) for i in ordered[:position]]
    starts_in = queue_start_s(remaining, ahead_s, slots) if slots else math.inf
    return QueueOutlook(position, starts_in, slots)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def outlook_text(run: Estimate | dict[str, Any], queue: QueueOutlook | None) -> str:
    """For a person: "about 3 min (2 min to 5 min); starts in ~1 min behind 2 jobs"."""
    figures = run.to_dict() if isinstance(run, Estimate) else run
    text = (
        f"about {_duration(figures['seconds'])} "
        f"({_duration(figures['low_s'])} to {_duration(figures['high_s'])}, "
        f"from {figures['basis']})"
    )
    if queue is None:
        return text
    if math.isinf(queue.starts_in_s):
        return text + "; no live worker offers this workflow, so it waits for one"
    behind = f" behind {queue.ahead} job{'s' if queue.ahead != 1 else ''}" if queue.ahead else ""
    if queue.starts_in_s < 1 and not queue.ahead:
        return text + "; starts at once"
    return text + f"; starts in ~{_duration(queue.starts_in_s)}{behind}"
