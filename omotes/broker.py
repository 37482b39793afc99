"""The RabbitMQ broker (through Dramatiq) and the names of the queues on it.

Jobs go to one queue per workflow, so a worker consumes only the workflows it runs; everything
workers report (job events, announcements, heartbeats) goes to one events queue that the frontend
consumes in order. A namespace prefix keeps test runs apart from a running instance on the same
RabbitMQ.
"""

from __future__ import annotations

import json
import os

import dramatiq
import pika
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.middleware import AgeLimit, Callbacks, Pipelines, ShutdownNotifications

from omotes.protocol import CancelRequest

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
EVENT_ACTOR = "omotes_event"


def namespace() -> str:
    return os.environ.get("OMOTES_NAMESPACE", "omotes")


def workflow_queue(workflow: str, ns: str | None = None) -> str:
    return f"{ns or namespace()}.workflow.{workflow}"


def job_actor_name(workflow: str) -> str:
    return f"omotes_run_{workflow}"


def events_queue(ns: str | None = None) -> str:
    return f"{ns or namespace()}.events"


def make_broker(url: str | None = None) -> RabbitmqBroker:
    """A broker with publisher confirms, so a message is on the broker before we go on (R26).

    Dramatiq's Retries and TimeLimit middleware are left out: attempts and time limits are the
    orchestrator's business (counted in PostgreSQL, enforced by the worker on its child process).
    """
    broker = RabbitmqBroker(
        url=url or os.environ.get("OMOTES_BROKER_URL", DEFAULT_URL),
        confirm_delivery=True,
        middleware=[AgeLimit(), ShutdownNotifications(), Callbacks(), Pipelines()],
    )
    dramatiq.set_broker(broker)
    return broker


def send(broker: dramatiq.Broker, queue_name: str, actor_name: str, body: dict) -> None:
    """Publish one message; the receiving actor need not be declared in this process."""
    broker.enqueue(
        dramatiq.Message(
            queue_name=queue_name, actor_name=actor_name, args=(body,), kwargs={}, options={}
        )
    )


def control_exchange(ns: str | None = None) -> str:
    """A fanout exchange every worker listens on, for cancel requests."""
    return f"{ns or namespace()}.control"


def publish_control(broker: RabbitmqBroker, request: CancelRequest) -> None:
    """Broadcast a cancel request to every connected worker (not stored for absent ones).

    A worker that misses one is corrected later: the frontend answers each heartbeat that
    lists a job the worker should not be running with the same cancel request.
    """
    body = json.dumps(request.to_dict())
    for attempt in range(2):
        try:
            channel = broker.channel
            channel.exchange_declare(control_exchange(), exchange_type="fanout", durable=True)
            channel.basic_publish(exchange=control_exchange(), routing_key="", body=body)
            return
        except (pika.exceptions.AMQPConnectionError, pika.exceptions.AMQPChannelError):
            # A connection from before a broker restart: drop it, as Dramatiq's enqueue does.
            del broker.connection
            if attempt:
                raise
