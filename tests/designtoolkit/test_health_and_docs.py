"""The health endpoint checks every service; the API is documented by its OpenAPI schema."""

from __future__ import annotations

import os
import re
import resource
import socket
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import wait_for


def test_health_reports_every_service_ok_with_a_worker_alive(client, simulator_worker):
    response = client.get("/health/?format=json")

    assert response.status_code == 200, response.content
    checks = response.json()
    names = " ".join(checks)
    for service in ("Database", "Cache", "RabbitMQ", "InfluxDB", "Workers"):
        assert service in names
    assert set(checks.values()) == {"OK"}


def test_health_fails_when_no_worker_is_alive(client, stack, transactional_db):
    from apps.jobs.models import Worker

    for name in [name for name in stack.processes if "worker" in name]:
        stack.kill(name)
    wait_for(lambda: not Worker.objects.alive().exists(), 30, "the worker to be seen as gone")

    response = client.get("/health/?format=json")

    assert response.status_code == 500
    assert "No worker alive" in response.json()["Workers()"]


@pytest.mark.django_db
def test_openapi_schema_documents_the_public_api(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/projects/",
        "/api/models/",
        "/api/workflows/",
        "/api/jobs/",
        "/api/jobs/{id}/",
        "/api/jobs/{id}/series/",
        "/api/jobs/{id}/series/data/",
    ):
        assert path in paths


@pytest.mark.django_db
def test_api_docs_need_a_login(client, api):
    assert client.get("/api/schema/").status_code in (401, 403)
    assert api.get("/api/docs/").status_code == 200


@pytest.fixture
def fresh_influx_client():
    """The process's InfluxDB client is made once; a test that changes its settings needs a new
    one, and the next test the usual one again."""
    from apps.results.influx import influx_client

    influx_client.cache_clear()
    yield
    influx_client.cache_clear()


def probe_token() -> str:
    from apps.results.influx import influx_client
    from designtoolkit.health import PROBE_MEASUREMENT
    from omotes.influx import rows

    found = rows(
        influx_client().query(
            f"SELECT last(token) FROM {PROBE_MEASUREMENT} GROUP BY writer",
            database=settings.INFLUX_HEALTH_DATABASE,
        )
    )
    return {row["writer"]: row["last"] for row in found}[f"{socket.gethostname()}-{os.getpid()}"]


def test_the_influx_probe_writes_a_point_and_reads_it_back():
    from apps.results.influx import influx_client
    from designtoolkit.health import InfluxDB

    influx_client().drop_database(settings.INFLUX_HEALTH_DATABASE)  # the first probe makes it
    InfluxDB().run()
    first = probe_token()
    InfluxDB().run()

    assert probe_token() != first  # each probe wrote anew


@pytest.fixture
def influx_reader(settings, fresh_influx_client):
    """The product's InfluxDB settings turned to an account that may read the health database
    but not write to it."""
    from apps.results.influx import influx_client
    from designtoolkit.health import InfluxDB

    InfluxDB().run()  # the health database exists
    admin = influx_client()
    username, password = f"health_reader_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    admin.query(f"CREATE USER {username} WITH PASSWORD '{password}'")
    admin.query(f'GRANT READ ON "{settings.INFLUX_HEALTH_DATABASE}" TO {username}')
    influx_client.cache_clear()
    settings.INFLUX_USERNAME, settings.INFLUX_PASSWORD = username, password
    yield
    admin.query(f"DROP USER {username}")


REFUSED_WRITE = "Unavailable: InfluxDB refuses our writes (wrong credentials, or no right to write)"


@pytest.mark.django_db
def test_health_fails_when_influx_answers_but_does_not_take_the_write(client, influx_reader):
    response = client.get("/health/?format=json")

    assert response.status_code == 500
    assert response.json()["InfluxDB()"] == REFUSED_WRITE


@pytest.mark.django_db
def test_health_fails_when_influx_refuses_the_credentials(client, settings, fresh_influx_client):
    settings.INFLUX_PASSWORD = "not-the-password"

    response = client.get("/health/?format=json")

    assert response.status_code == 500
    assert response.json()["InfluxDB()"] == REFUSED_WRITE


def test_influxd_open_files_are_reported_against_its_limit():
    from designtoolkit.health import InfluxOpenFiles, influxd_pid

    pid = influxd_pid()
    if pid is None:
        pytest.skip("no influxd on this host")
    check = InfluxOpenFiles()

    check.run()

    limits = Path(f"/proc/{pid}/limits").read_text()
    limit = re.search(r"^Max open files\s+(\d+)", limits, re.MULTILINE).group(1)
    assert re.fullmatch(rf"\d+ of {limit}", check.open_files)
    assert check.open_files in repr(check)  # what /health/ shows beside the check


def test_open_files_are_unknown_for_an_influxdb_on_another_host(settings):
    from designtoolkit.health import InfluxOpenFiles

    settings.INFLUX_URL = "http://influx.example.org:8086"
    check = InfluxOpenFiles()

    check.run()

    assert check.open_files == "unknown: InfluxDB runs on another host"


def test_open_files_of_a_process_come_from_proc():
    from designtoolkit.health import open_files

    used, limit = open_files(os.getpid())

    assert limit == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    assert abs(used - len(os.listdir("/proc/self/fd"))) <= 2
    assert open_files(2**22 + 1) is None  # no such process
