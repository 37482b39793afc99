"""A job's parameters are checked when it is submitted, not after it waited in the queue."""

from __future__ import annotations

import pytest

from omotes.workflows.simulator import workflow as simulator
from tests.conftest import bind_profiles
from tests.corpus import generated_network
from tests.jobs.worker_events import announce
from tests.models.test_upload_api import upload

pytestmark = pytest.mark.django_db

# The generated network's input profiles run through 2019, hourly.
IN_2019 = {"start": "2019-01-01T00:00:00+00:00", "end": "2019-01-07T23:00:00+00:00"}


@pytest.fixture
def model_id(api, project) -> int:
    announce("worker-a", simulator)
    response = upload(api, project, "network", generated_network())
    bind_profiles(response.json()["id"])
    return response.json()["id"]


def submit(api, model_id: int, **params):
    return api.post(
        "/api/jobs/",
        {"model": model_id, "workflow": "simulator", "params": params},
        format="json",
    )


@pytest.mark.parametrize(
    "params,said",
    [
        (
            {"start": "2019-02-01T00:00:00+00:00", "end": "2019-01-01T00:00:00+00:00"},
            "End (2019-01-01 00:00 UTC) is before Start (2019-02-01 00:00 UTC).",
        ),
        (
            {"start": "2030-01-01T00:00:00+00:00", "end": "2030-01-07T00:00:00+00:00"},
            "is outside the model's input profiles (2019-01-01 00:00 to 2019-12-31 23:00 UTC)",
        ),
        ({**IN_2019, "timestep_s": int("9" * 400)}, "Time step: is far too large a number"),
        ({**IN_2019, "timestep_s": 10}, "Time step: must be at least 60"),
        ({**IN_2019, "start": "2019-13-45T00:00:00"}, "Start: must be a date and time"),
    ],
    ids=["end-before-start", "outside-the-profiles", "400-digit-step", "step-too-short", "no-date"],
)
def test_bad_parameters_are_refused_at_submit_with_the_reason(api, model_id, params, said):
    response = submit(api, model_id, **params)

    assert response.status_code == 400, response.content
    assert said in response.json()["detail"]


def test_a_time_without_a_zone_is_utc_as_the_form_says(api, model_id):
    response = submit(api, model_id, start="2019-01-01T00:00:00", end="2019-01-02T00:00:00")

    assert response.status_code == 201, response.content
    assert response.json()["params"]["start"] == "2019-01-01T00:00:00+00:00"
