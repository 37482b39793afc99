"""Fuzz every REST operation from the OpenAPI schema (schemathesis): no input makes a 5xx.

The API runs in this process through its WSGI application against the test database, as a user
with an API token who owns a project, a model and a finished job, so generated requests reach
the object checks and the validation behind them, not only the 404 for unknown ids. The schema
is the one the API serves (drf-spectacular), so a new route is fuzzed without editing this test.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from knox.models import get_token_model

from tests.jobs.builders import make_job

SCHEMA = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
SCHEMA.app = get_wsgi_application()
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}


@pytest.fixture
def token(owner) -> str:
    job = make_job(owner)
    job.status = job.Status.SUCCEEDED
    job.save()
    _, key = get_token_model().objects.create(user=owner, expiry=None)
    # As Django's own test client does: the test's database connection (inside the test's
    # transaction) must survive the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield key
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_every_api_route_is_fuzzed() -> None:
    paths = {op.path for op in OPERATIONS.values()}
    assert {"/api/projects/", "/api/models/", "/api/jobs/{id}/cancel/"} <= paths


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_generated_request_makes_a_server_error(label: str, token: str) -> None:
    seen: set[int] = set()

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(case=OPERATIONS[label].as_strategy())
    def fuzz(case) -> None:
        response = case.call(headers={"Authorization": f"Token {token}"})
        seen.add(response.status_code)
        assert response.status_code < 500, (
            f"{response.status_code} for {case.as_curl_command()}: {response.text[:500]}"
        )

    fuzz()
    assert seen - {401, 403}, f"every request was refused at the door ({seen}): the fuzz is blind"
