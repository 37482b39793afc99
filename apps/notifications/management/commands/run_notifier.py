"""The notifier: tells submitters of ended jobs (one notice per batch) and sends the outbox."""

from __future__ import annotations

import logging
import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from apps.notifications.batches import tell_ended_jobs
from apps.notifications.services import prune, send_due_mail

logger = logging.getLogger(__name__)

PRUNE_INTERVAL_S = 3600


class Command(BaseCommand):
    help = "Turn ended jobs into notifications and mails, and send due mails, until SIGTERM."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between rounds")
        parser.add_argument("--once", action="store_true", help="one round, then exit")

    def handle(self, *args, interval: float, once: bool, **options) -> None:
        stop = threading.Event()
        if not once:
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            logger.info("notifier started")
        next_prune = time.monotonic()
        while not stop.is_set():
            try:
                close_old_connections()
                tell_ended_jobs()
                send_due_mail()
                if time.monotonic() >= next_prune:
                    prune()
                    next_prune = time.monotonic() + PRUNE_INTERVAL_S
            except Exception:  # noqa: BLE001 - the loop must survive a database outage
                if once:
                    raise
                logger.exception("notifier round failed; retrying")
            if once:
                return
            stop.wait(interval)
        logger.info("notifier stopped")
