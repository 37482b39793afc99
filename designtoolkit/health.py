"""Health checks for the services django-health-check does not cover itself."""

from __future__ import annotations

import dataclasses

import pika
from django.conf import settings
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from apps.results.influx import influx_client
from omotes.influx import InfluxAuthError, InfluxError


@dataclasses.dataclass
class InfluxDB(HealthCheck):
    """InfluxDB answers and accepts our credentials (``/ping`` needs none, so it would not tell)."""

    def run(self) -> None:
        try:
            influx_client().query("SHOW DATABASES")
        except InfluxAuthError as exc:
            raise ServiceUnavailable("InfluxDB refuses our credentials") from exc
        except InfluxError as exc:
            raise ServiceUnavailable("InfluxDB does not answer") from exc


@dataclasses.dataclass
class RabbitMQ(HealthCheck):
    def run(self) -> None:
        parameters = pika.URLParameters(settings.BROKER_URL)
        parameters.socket_timeout = 3
        parameters.blocked_connection_timeout = 3
        try:
            pika.BlockingConnection(parameters).close()
        except pika.exceptions.AMQPError as exc:
            raise ServiceUnavailable("RabbitMQ does not answer") from exc


@dataclasses.dataclass
class Workers(HealthCheck):
    """At least one worker sent a heartbeat recently."""

    def run(self) -> None:
        from apps.jobs.models import Worker

        if not Worker.objects.alive().exists():
            raise ServiceUnavailable("No worker alive")
