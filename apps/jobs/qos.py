"""The operator's queue policy, turned into a call to :mod:`omotes.scheduling`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import DurationField, ExpressionWrapper, F, Sum
from django.db.models.functions import Coalesce, Now
from django.utils import timezone

from apps.jobs.models import Job, QueuePolicy, UserPriority
from omotes import scheduling
from omotes.scheduling import QueuedJob, RunningJob


@dataclass
class ActivePolicy:
    settings: QueuePolicy
    priorities: dict[int, int]
    # How many queued jobs per user the dispatcher considers each round.
    per_user_candidates: int = 50

    def priority(self, job: Job) -> int:
        return self.priorities.get(job.owner_id, UserPriority.Level.NORMAL)

    def choose(
        self,
        queued: Sequence[QueuedJob],
        running: Sequence[RunningJob],
        free_slots: Mapping[str, int],
    ) -> list[QueuedJob]:
        if self.settings.strategy == QueuePolicy.Strategy.FIFO:
            return scheduling.fifo(queued, running, free_slots)
        return scheduling.fair_share(
            queued,
            running,
            free_slots,
            recent_usage_s=recent_usage_s(self.settings.usage_window_minutes),
            max_running_per_key=self.settings.max_running_per_user,
        )


def current_policy() -> ActivePolicy:
    policy = QueuePolicy.objects.first() or QueuePolicy()
    priorities = dict(UserPriority.objects.values_list("user_id", "level"))
    return ActivePolicy(policy, priorities)


def recent_usage_s(window_minutes: int) -> dict[str, float]:
    """Seconds of job time per user (as fairness key) that ran within the window."""
    since = timezone.now() - timedelta(minutes=window_minutes)
    elapsed = ExpressionWrapper(
        Coalesce(F("finished_at"), Now()) - F("started_at"), output_field=DurationField()
    )
    rows = (
        Job.objects.filter(started_at__isnull=False)
        .exclude(finished_at__lt=since)
        .values("owner_id")
        .annotate(used=Sum(elapsed))
    )
    return {str(row["owner_id"]): row["used"].total_seconds() for row in rows if row["used"]}
