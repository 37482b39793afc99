"""The profile binder: binds the input profiles of uploaded models, removes unbound ones."""

from __future__ import annotations

import logging
import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from apps.profiles.binding import bind_next_model
from apps.profiles.services import ensure_profiles_database, sweep_unbound_profiles
from designtoolkit import wakeups

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Bind the input profiles of uploaded models until SIGTERM (apps.profiles.binding)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between looks when idle (an upload wakes the binder at once)",
        )
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=600.0,
            help="seconds between removals of profiles no model binds",
        )

    def handle(self, *args, interval: float, sweep_interval: float, **options) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        logger.info("profile binder started")
        next_sweep = time.monotonic()
        wake_ups = None
        while not stop.is_set():
            worked = False
            try:
                close_old_connections()
                if wake_ups is None or wake_ups.closed:  # listening before looking: none missed
                    wake_ups = wakeups.listen(wakeups.PROFILE_BINDER)
                ensure_profiles_database()  # long shards, also for a database made before
                worked = bind_next_model(stop.is_set)
                if time.monotonic() >= next_sweep:
                    sweep_unbound_profiles()
                    next_sweep = time.monotonic() + sweep_interval
                if not worked:
                    wakeups.wait(wake_ups, interval, stop)  # until an upload, or the next look
            except Exception:  # noqa: BLE001 - the loop must survive a database or InfluxDB outage
                logger.exception("profile binder round failed; retrying")
                if wake_ups is not None:
                    wake_ups.close()
                stop.wait(interval)
        logger.info("profile binder stopped")
