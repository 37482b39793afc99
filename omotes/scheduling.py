"""Which queued jobs start next: the QoS policy as pure functions (R6).

The dispatcher calls a policy with what is queued, what runs and how many slots the live
workers have free per workflow; it sends exactly the jobs returned, in that order. ``omotes``
sees an opaque fairness key per job (the frontend passes its user), never a user.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class QueuedJob:
    job_id: str
    workflow: str
    fairness_key: str
    queued_at: datetime
    priority: int = 0  # higher goes first, before any fair-share consideration


@dataclass(frozen=True)
class RunningJob:
    job_id: str
    workflow: str
    fairness_key: str


def fifo(
    queued: Sequence[QueuedJob],
    running: Sequence[RunningJob],
    free_slots: Mapping[str, int],
) -> list[QueuedJob]:
    """First in, first out within the free slots of each workflow (ignores users)."""
    slots = dict(free_slots)
    chosen: list[QueuedJob] = []
    for job in sorted(queued, key=lambda j: j.queued_at):
        if slots.get(job.workflow, 0) > 0:
            slots[job.workflow] -= 1
            chosen.append(job)
    return chosen


def fair_share(
    queued: Sequence[QueuedJob],
    running: Sequence[RunningJob],
    free_slots: Mapping[str, int],
    recent_usage_s: Mapping[str, float] | None = None,
    max_running_per_key: int | None = None,
) -> list[QueuedJob]:
    """Fill free slots one at a time, each time for the key that has had the least.

    Order of preference for the next slot: the highest priority class among startable jobs;
    then the key with the fewest running jobs (counting those chosen in this round); then the
    least recent use (seconds of job time in the operator's window); then the oldest job. Within
    a key, its highest-priority, oldest job goes first. A key at ``max_running_per_key`` waits.
    So a user with one job waits about one job time behind a user with a hundred, not a hundred.
    """
    usage = recent_usage_s or {}
    slots = dict(free_slots)
    running_per_key = Counter(job.fairness_key for job in running)
    waiting: dict[str, list[QueuedJob]] = {}
    for job in sorted(queued, key=lambda j: (-j.priority, j.queued_at)):
        waiting.setdefault(job.fairness_key, []).append(job)
    chosen: list[QueuedJob] = []
    while True:
        best: tuple | None = None
        for key, jobs in waiting.items():
            if max_running_per_key is not None and running_per_key[key] >= max_running_per_key:
                continue
            job = next((j for j in jobs if slots.get(j.workflow, 0) > 0), None)
            if job is None:
                continue
            rank = (-job.priority, running_per_key[key], usage.get(key, 0.0), job.queued_at)
            if best is None or rank < best[0]:
                best = (rank, key, job)
        if best is None:
            return chosen
        _, key, job = best
        waiting[key].remove(job)
        slots[job.workflow] -= 1
        running_per_key[key] += 1
        chosen.append(job)
