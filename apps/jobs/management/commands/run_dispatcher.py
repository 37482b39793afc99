"""The dispatcher: starts queued jobs into free worker slots and reconciles stuck ones."""

from __future__ import annotations

import logging
import signal
import threading
import time

import psycopg
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from apps.jobs.dispatch import dispatch_ready_jobs, reconcile_jobs
from apps.jobs.lifecycle import DISPATCH_CHANNEL
from apps.operations.metrics import DISPATCHED, RECONCILED
from designtoolkit import wakeups
from omotes import heap, metrics

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the job dispatcher and reconciler until SIGTERM."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between reconcile rounds (a submitted job wakes the dispatcher at once)",
        )
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=metrics.env_port("DT_DISPATCHER_METRICS_PORT"),
            help="serve Prometheus metrics on this port (off when absent or 0)",
        )

    def handle(self, *args, interval: float, metrics_port: int | None, **options) -> None:
        metrics.serve(metrics_port)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        heap.settle()
        logger.info("dispatcher started")
        wake_ups: psycopg.Connection | None = None
        next_reconcile = 0.0
        while not stop.is_set():
            try:
                close_old_connections()
                DISPATCHED.inc(dispatch_ready_jobs())
                if time.monotonic() >= next_reconcile:
                    RECONCILED.inc(reconcile_jobs())
                    next_reconcile = time.monotonic() + interval
                if wake_ups is None or wake_ups.closed:
                    wake_ups = wakeups.listen(DISPATCH_CHANNEL)
                # Sleep until a job moves (submit, end, requeue) or the next reconcile is due.
                wakeups.wait(wake_ups, next_reconcile - time.monotonic(), stop)
            except Exception:  # noqa: BLE001 - the loop must survive a database or broker outage
                logger.exception("dispatch round failed; retrying")
                if wake_ups is not None:
                    wake_ups.close()
                stop.wait(interval)
        logger.info("dispatcher stopped")
