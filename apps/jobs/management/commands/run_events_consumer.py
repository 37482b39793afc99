"""The events consumer: applies what workers report to the jobs in PostgreSQL."""

from __future__ import annotations

import logging
import signal
import threading

import dramatiq
from django.core.management.base import BaseCommand
from django.db import close_old_connections, transaction

from apps.jobs.events import handle_worker_event
from apps.operations.events import event_log_context, observe_event
from designtoolkit.broker import get_broker
from omotes import broker as omotes_broker
from omotes import heap, logs, metrics

logger = logging.getLogger(__name__)


def consume_event(data: dict) -> None:
    """Apply one event in one transaction: a kill midway leaves nothing half done, and the
    redelivered message applies it whole."""
    close_old_connections()
    with logs.bound(**event_log_context(data)), transaction.atomic():
        handle_worker_event(data)
    observe_event(data)


class Command(BaseCommand):
    help = "Consume worker events (started, progress, result, error, heartbeats) until SIGTERM."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=metrics.env_port("DT_EVENTS_METRICS_PORT"),
            help="serve Prometheus metrics on this port (off when absent or 0)",
        )

    def handle(self, *args, metrics_port: int | None, **options) -> None:
        metrics.serve(metrics_port)
        broker = get_broker()
        dramatiq.actor(
            consume_event,
            actor_name=omotes_broker.EVENT_ACTOR,
            queue_name=omotes_broker.events_queue(),
            broker=broker,
        )
        # One thread: events of one job are applied in the order the worker sent them.
        worker = dramatiq.Worker(broker, queues={omotes_broker.events_queue()}, worker_threads=1)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        heap.settle()
        worker.start()
        logger.info("events consumer started")
        stop.wait()
        worker.stop()
        broker.close()
        logger.info("events consumer stopped")
