"""The health endpoint checks every service; the API is documented by its OpenAPI schema."""

from __future__ import annotations

import pytest

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
