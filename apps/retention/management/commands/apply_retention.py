"""Apply the retention policy once, or keep applying it (``--loop``, for run.sh)."""

from __future__ import annotations

import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from apps.retention.models import RetentionPolicy
from apps.retention.services import apply_retention

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Delete the jobs (and their results) that the retention policy set in the admin expires."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--loop",
            action="store_true",
            help="Keep running; apply the policy every interval_minutes of the policy.",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between runs (overrides the policy)",
        )

    def handle(self, *args, loop: bool = False, interval: float | None = None, **options) -> None:
        stop = threading.Event()
        if loop:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
        while True:
            wait_s = interval if interval is not None else 60.0
            try:
                if loop:
                    close_old_connections()  # PostgreSQL may have restarted since the last run
                report = apply_retention()
                if interval is None:
                    wait_s = RetentionPolicy.current().interval_minutes * 60
            except Exception:
                if not loop:
                    raise
                logger.exception("retention run failed; trying again later")
            else:
                self.stdout.write(
                    f"retention: {len(report.deleted_jobs)} jobs deleted, "
                    f"{len(report.failed_jobs)} failed, "
                    f"{report.forgotten_workers} workers gone for a month forgotten"
                )
            if not loop:
                return
            if stop.wait(max(wait_s, 1.0)):
                return
