"""Which queued jobs start next: the QoS policy as a pure function.

The dispatcher calls :func:`choose_jobs_to_start` with what is queued, what runs and how many
slots the live workers have free per workflow; it sends exactly the jobs returned. ``omotes`` sees
an opaque fairness key per job (the frontend passes its user), never a user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class QueuedJob:
    job_id: str
    workflow: str
    fairness_key: str
    queued_at: datetime


@dataclass(frozen=True)
class RunningJob:
    job_id: str
    workflow: str
    fairness_key: str


def choose_jobs_to_start(
    queued: Sequence[QueuedJob],
    running: Sequence[RunningJob],
    free_slots: Mapping[str, int],
) -> list[QueuedJob]:
    """First in, first out within the free slots of each workflow.

    ``running`` is part of the signature for the fair-share policy that replaces this one; FIFO
    does not need it.
    """
    slots = dict(free_slots)
    chosen: list[QueuedJob] = []
    for job in sorted(queued, key=lambda j: j.queued_at):
        if slots.get(job.workflow, 0) > 0:
            slots[job.workflow] -= 1
            chosen.append(job)
    return chosen
