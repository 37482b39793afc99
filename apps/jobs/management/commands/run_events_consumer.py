"""The events consumer: applies what workers report to the jobs in PostgreSQL."""

from __future__ import annotations

import logging
import signal
import threading

import dramatiq
from django.core.management.base import BaseCommand
from django.db import close_old_connections, transaction

from apps.jobs.events import handle_worker_event
from designtoolkit.broker import get_broker
from omotes import broker as omotes_broker

logger = logging.getLogger(__name__)


def consume_event(data: dict) -> None:
    """Apply one event in one transaction: a kill midway leaves nothing half done, and the
    redelivered message applies it whole."""
    close_old_connections()
    with transaction.atomic():
        handle_worker_event(data)


class Command(BaseCommand):
    help = "Consume worker events (started, progress, result, error, heartbeats) until SIGTERM."

    def handle(self, *args, **options) -> None:
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
        worker.start()
        logger.info("events consumer started")
        stop.wait()
        worker.stop()
        broker.close()
        logger.info("events consumer stopped")
