"""Every REST error has one shape: ``{"detail": "...", "errors": {field: ["..."]}}``."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from apps.jobs.models import Job, Worker
from apps.sharing.services import find_grantee, share
from designtoolkit.api_errors import exception_handler, field_errors
from omotes.protocol import WorkflowDescription
from omotes.workflows.base import describe
from omotes.workflows.examples import sleeper
from tests.conftest import PASSWORD
from tests.corpus import generated_network
from tests.jobs.builders import make_job
from tests.models.test_upload_api import upload

pytestmark = pytest.mark.django_db


def error_body(response, status: int) -> dict[str, Any]:
    """The body of an error answer, checked against the one shape."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"], body
    assert isinstance(body["errors"], dict), body
    for field, messages in body["errors"].items():
        assert isinstance(field, str) and field, body
        assert messages and all(isinstance(m, str) and m for m in messages), body
    return body


@pytest.fixture
def sleeper_offered() -> WorkflowDescription:
    """A live worker row offering ``sleeper``, as if it had just announced itself."""
    description = describe(sleeper)
    Worker.objects.create(
        worker_id=f"test-{uuid.uuid4().hex[:6]}",
        host="test",
        slots=1,
        workflows=[description.to_dict()],
        last_seen=timezone.now(),
    )
    return description


@pytest.fixture
def model_id(api, project) -> int:
    return upload(api, project, "network", generated_network(profiles=False)).json()["id"]


def test_missing_field_is_a_400_naming_the_field(api):
    body = error_body(api.post("/api/projects/", {}, format="json"), 400)

    assert list(body["errors"]) == ["name"]
    assert body["detail"].startswith("name: ")


def test_bad_query_parameters_are_a_400_with_each_parameter_named(api):
    response = api.get("/api/compare/series/", {"jobs": ["not-a-uuid"], "width": "wide"})

    body = error_body(response, 400)
    assert set(body["errors"]) == {"jobs", "asset_id", "field", "width"}
    assert "jobs: " in body["detail"] and "width: " in body["detail"]


def test_a_rule_across_parameters_is_a_400_without_field_errors(api, owner):
    job = make_job(owner)
    query = {"jobs": [str(job.pk)], "asset_id": "a", "field": "f", "start": 20, "end": 10}

    body = error_body(api.get("/api/compare/series/", query), 400)

    assert body["errors"] == {}
    assert "before" in body["detail"]


def test_series_data_without_its_parameters_is_a_400_naming_both(api, owner):
    job = make_job(owner)

    body = error_body(api.get(f"/api/jobs/{job.pk}/series/data/"), 400)

    assert set(body["errors"]) == {"asset_id", "field"}


def test_refusal_of_a_service_is_a_400_with_its_message(api, model_id):
    response = api.post("/api/jobs/", {"model": model_id, "workflow": "nope"}, format="json")

    body = error_body(response, 400)
    assert "not offered" in body["detail"]
    assert body["errors"] == {}


def test_parameter_out_of_range_is_a_400_with_the_schema_s_limit(api, model_id, sleeper_offered):
    response = api.post(
        "/api/jobs/",
        {"model": model_id, "workflow": "sleeper", "params": {"duration_s": -1}},
        format="json",
    )

    assert "at least 0" in error_body(response, 400)["detail"]


def test_viewer_who_may_not_change_a_model_gets_a_403(api, model_id, make_user, sleeper_offered):
    from apps.models.models import EsdlModel

    viewer = make_user()
    share(EsdlModel.objects.get(pk=model_id), find_grantee(user=viewer.email), "view")
    client = APIClient()
    client.login(email=viewer.email, password=PASSWORD)

    response = client.post("/api/jobs/", {"model": model_id, "workflow": "sleeper"}, format="json")

    body = error_body(response, 403)
    assert "edit access" in body["detail"]
    assert body["errors"] == {}


def test_anonymous_request_is_a_401_in_the_same_shape():
    assert error_body(APIClient().get("/api/jobs/"), 401)["errors"] == {}


def test_unknown_or_hidden_object_is_a_404(api, make_user):
    stranger_job = make_job(make_user())

    for url in (f"/api/jobs/{uuid.uuid4()}/", f"/api/jobs/{stranger_job.pk}/"):
        assert error_body(api.get(url), 404)["errors"] == {}


def test_series_a_job_does_not_have_is_a_404_saying_so(api, owner):
    job = make_job(owner)

    response = api.get(f"/api/jobs/{job.pk}/series/data/", {"asset_id": "a", "field": "f"})

    assert "no series" in error_body(response, 404)["detail"]


def test_cancelling_an_ended_job_is_a_409(api, owner):
    job = make_job(owner)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED)

    body = error_body(api.post(f"/api/jobs/{job.pk}/cancel/"), 409)

    assert "already ended" in body["detail"]


def test_field_errors_of_a_django_validation_error_are_kept():
    response = exception_handler(
        DjangoValidationError({"name": ["Too long."], "__all__": ["Not now."]}), {}
    )

    assert response.status_code == 400
    assert response.data["detail"] == "Not now. name: Too long."
    assert response.data["errors"] == {"name": ["Too long."]}


def test_nested_fields_are_dotted_and_list_items_count_as_their_list():
    detail = {"params": {"duration_s": ["Too big."]}, "jobs": {1: ["Not a UUID."]}}

    assert field_errors(detail) == {"params.duration_s": ["Too big."], "jobs": ["Not a UUID."]}


def test_every_api_operation_documents_the_error_shape(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "errors"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code in ("401", "403"):
                content = operation["responses"][code]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path)


@pytest.mark.parametrize(
    "body,said",
    [
        ('{"name": ' * 5000 + '"x"' + "}" * 5000, "nested too deeply"),
        ("[" * 100_000, "nested too deeply"),
        ('{"name": NaN}', "NaN"),
        ('{"name": Infinity}', "Infinity"),
    ],
    ids=["objects-5000-deep", "arrays-100000-deep", "nan", "infinity"],
)
def test_malformed_json_bodies_are_refused_with_400(api, body, said):
    response = api.post("/api/projects/", body, content_type="application/json")

    assert said in error_body(response, 400)["detail"]
