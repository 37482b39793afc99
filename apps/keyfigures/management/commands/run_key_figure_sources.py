"""``manage.py run_key_figure_sources [--once]``: keep the dynamic key figures fresh.

Fetches each enabled source when its refresh interval has passed (apps.keyfigures.dynamic),
until SIGTERM; web requests never fetch.
"""

from __future__ import annotations

import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from apps.keyfigures.dynamic import due_sources, refresh

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Fetch the dynamic key-figure sources when due, until SIGTERM (or once)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between looks")
        parser.add_argument("--once", action="store_true", help="fetch what is due, then stop")

    def handle(self, *args, interval: float, once: bool, **options) -> None:
        stop = threading.Event()
        if not once:
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
        while not stop.is_set():
            try:
                for source in due_sources():
                    if stop.is_set():
                        break
                    good = refresh(source, sleep=stop.wait)
                    self.stdout.write(f"{source.name}: {'ok' if good else 'failed'}")
            except Exception:  # noqa: BLE001 - the loop must survive a database outage
                logger.exception("key-figure sources round failed; retrying")
            if once:
                break
            stop.wait(interval)
            close_old_connections()  # a connection the database dropped meanwhile
