"""Run once after PostgreSQL was restored from a backup, before the dispatcher starts (R8)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.jobs.dispatch import requeue_after_restore


class Command(BaseCommand):
    help = "Queue again every job that the restored database shows as sent or running."

    def handle(self, *args, **options) -> None:
        count = requeue_after_restore()
        self.stdout.write(f"{count} jobs queued again")
