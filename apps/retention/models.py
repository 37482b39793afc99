"""The operator's retention policy (R12): which results are removed, and when.

By default nothing is: results stay until their owner deletes them. The policy is one row, edited
in the admin, and applied by ``manage.py apply_retention`` (once, or ``--loop`` as a process).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RetentionPolicy(models.Model):
    """One row (pk 1): read it with :meth:`current`."""

    inactive_user_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=None,
        verbose_name="delete jobs of deactivated users after (days)",
        help_text="Days after deactivation is seen; empty: keep.",
    )
    max_job_age_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=None,
        verbose_name="delete jobs older than (days)",
        help_text="Anyone's finished jobs; empty: keep (default).",
    )
    interval_minutes = models.PositiveIntegerField(
        default=60, help_text="How often the retention process applies the policy."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "retention policy"
        verbose_name_plural = "retention policy"

    def __str__(self) -> str:
        parts = []
        if self.inactive_user_days is not None:
            parts.append(f"deactivated users' jobs after {self.inactive_user_days} d")
        if self.max_job_age_days is not None:
            parts.append(f"jobs older than {self.max_job_age_days} d")
        return "Delete " + " and ".join(parts) if parts else "Keep all results"

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> RetentionPolicy:
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy


class Deactivation(models.Model):
    """When the retention process first saw a user account deactivated (``is_active`` off).

    Django keeps no such date, so the grace period of ``inactive_user_days`` starts here; the row
    goes away when the account is active again.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deactivation"
    )
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} since {self.seen_at:%Y-%m-%d}"
