"""Health checks for the services django-health-check does not cover itself."""

from __future__ import annotations

import dataclasses
import os
import secrets
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pika
from django.conf import settings
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from apps.results.influx import influx_client
from omotes.influx import (
    InfluxAuthError,
    InfluxClient,
    InfluxError,
    encode_line,
    quote_identifier,
    quote_string,
    rows,
)

# The probe's one point always has this time and a tag per web process, so the health database
# holds one point per process however often it is probed: one shard, one series each, not a shard
# a week (InfluxDB's default for an infinite retention policy) that each keep files open.
PROBE_TIME_S = 1_000_000_000
PROBE_MEASUREMENT = "probe"
#: Share of its open-file limit past which influxd is reported failing: at the limit it stops
#: answering (each shard keeps index and WAL files open).
OPEN_FILES_FAILING_SHARE = 0.9
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclasses.dataclass
class InfluxDB(HealthCheck):
    """InfluxDB accepts a write with our credentials and gives it back.

    ``/ping`` needs no credentials and a query reads nothing new, so neither would tell that
    workers can no longer store results (a full disk, a read-only or locked database, too many
    open files, credentials changed).
    """

    def run(self) -> None:
        client = influx_client()
        database = settings.INFLUX_HEALTH_DATABASE
        writer = f"{socket.gethostname()}-{os.getpid()}"
        token = float(secrets.randbelow(2**52))  # exact in a float64 field and in JSON
        line = encode_line(PROBE_MEASUREMENT, {"writer": writer}, {"token": token}, PROBE_TIME_S)
        try:
            write_probe(client, database, line.encode())
            found = rows(
                client.query(
                    f"SELECT last(token) FROM {quote_identifier(PROBE_MEASUREMENT)} "
                    f"WHERE writer = {quote_string(writer)}",
                    database=database,
                )
            )
        except InfluxAuthError as exc:
            raise ServiceUnavailable(
                "InfluxDB refuses our writes (wrong credentials, or no right to write)"
            ) from exc
        except InfluxError as exc:
            raise ServiceUnavailable("InfluxDB does not take a write") from exc
        if not found or found[0].get("last") != token:
            raise ServiceUnavailable("InfluxDB does not give back what was written")


def write_probe(client: InfluxClient, database: str, body: bytes) -> None:
    """Write once, no retries (a probe waits for nothing); the first probe on a server creates
    the health database."""
    try:
        client.write_body(database, body, retries=0)
    except InfluxAuthError:
        raise
    except InfluxError as exc:
        if "database not found" not in str(exc):
            raise
        client.create_database(database)
        client.write_body(database, body, retries=0)


@dataclasses.dataclass
class InfluxOpenFiles(HealthCheck):
    """influxd's open files against its limit, when it runs on this host and we may look.

    ``open_files`` (shown beside the check's name) is "<open> of <limit>" or why it is unknown;
    the check fails at ``OPEN_FILES_FAILING_SHARE`` of the limit.
    """

    open_files: str = "not measured yet"

    def run(self) -> None:
        if urlsplit(settings.INFLUX_URL).hostname not in LOCAL_HOSTS:
            self.open_files = "unknown: InfluxDB runs on another host"
            return
        pid = influxd_pid()
        if pid is None:
            self.open_files = "unknown: no influxd process on this host"
            return
        counted = open_files(pid)
        if counted is None:
            self.open_files = f"unknown: /proc/{pid} is not readable to us"
            return
        used, limit = counted
        self.open_files = f"{used} of {limit}"
        if used >= OPEN_FILES_FAILING_SHARE * limit:
            raise ServiceUnavailable(f"influxd has {used} of at most {limit} files open")


def influxd_pid() -> int | None:
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "influxd":
                return int(comm.parent.name)
        except OSError:  # the process ended meanwhile
            continue
    return None


def open_files(pid: int) -> tuple[int, int] | None:
    """(open file descriptors, soft limit) of a process, or None when /proc does not tell us."""
    try:
        used = len(os.listdir(f"/proc/{pid}/fd"))
        limits = Path(f"/proc/{pid}/limits").read_text()
    except OSError:
        return None
    for line in limits.splitlines():
        if line.startswith("Max open files"):
            soft = line.split()[3]
            return (used, int(soft)) if soft.isdigit() else None
    return None


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
