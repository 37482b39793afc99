"""Fixtures for the tests that call the lifecycle, the events consumer and the reconciler
directly, against the real database and broker but without worker processes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pika
import pytest
from django.conf import settings

from apps.jobs import lifecycle
from apps.jobs.models import Job
from omotes import broker as omotes_broker
from tests.jobs.builders import make_job as build_job


@pytest.fixture
def make_job(owner) -> Callable[..., Job]:
    """A job of ``workflow``, sent to its queue as the dispatcher leaves it (or only queued)."""

    def make(workflow: str = "sleeper", dispatched: bool = True) -> Job:
        job = build_job(owner, workflow)
        lifecycle.transition(job.pk, lifecycle.SUBMIT)
        if dispatched:
            lifecycle.transition(job.pk, lifecycle.DISPATCH)
        return job

    return make


@pytest.fixture
def cancels() -> Iterator[Callable[[Job], list[dict]]]:
    """The cancel requests every worker of this test session's namespace received for a job
    since the last call: read from a queue of our own on the real control exchange."""
    connection = pika.BlockingConnection(pika.URLParameters(settings.BROKER_URL))
    channel = connection.channel()
    exchange = omotes_broker.control_exchange()
    channel.exchange_declare(exchange, exchange_type="fanout", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, exchange)
    received: list[dict] = []

    def of(job: Job) -> list[dict]:
        # Publishing waits for the broker's confirm, so what was sent is in the queue by now.
        while True:
            method, _, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                break
            received.append(json.loads(body))
        mine = [m for m in received if m["job_id"] == str(job.id)]
        received[:] = [m for m in received if m["job_id"] != str(job.id)]
        return mine

    yield of
    connection.close()
