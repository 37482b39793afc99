"""What one model, one profile CSV and one job may write is bounded, and a refusal names the limit
and the asset or parameter; nothing is written to InfluxDB then.

Every long period here is refused before a point is written: the bounds are what these tests
exercise, and the profiles database would otherwise get a shard per week of the period.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.jobs.workflows import clean_params
from apps.models.esdl_document import EsdlDocument
from apps.models.models import EsdlModel
from apps.profiles.models import InputProfile
from omotes.esdl_generator import network_text
from omotes.workflows.base import describe
from omotes.workflows.simulator import SimulatorWorkflow
from tests.conftest import bind_profiles
from tests.models.test_upload_api import upload

GENERATED_PERIOD = 'startDate="2019-01-01T00:00:00.000000+0000" endDate="2019-12-31T23:00'


def fifty_year_network() -> str:
    """The hostile kit's profile_50_years.esdl: a generated 10-asset network whose first input
    profile runs hourly from 2000 to 2049."""
    text = network_text(10)
    assert GENERATED_PERIOD in text
    return text.replace(
        GENERATED_PERIOD,
        'startDate="2000-01-01T00:00:00.000000+0000" endDate="2049-12-31T23:00',
        1,
    )


@pytest.mark.django_db
def test_upload_of_a_fifty_year_profile_is_refused_naming_profile_asset_and_limit(api, project):
    text = fifty_year_network()
    first = EsdlDocument(text).profile_references()[0]

    response = upload(api, project, "profile_50_years", text.encode())

    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert (
        f'InfluxDBProfile "HeatingDemand_0001 demand" (id {first.id}) of HeatingDemand '
        f'"HeatingDemand_0001" (id {first.asset_id}): 2000-01-01T00:00:00+00:00 to '
        "2049-12-31T23:00:00+00:00: an input profile may cover at most 10 years "
        "(DT_PROFILE_MAX_YEARS)"
    ) in detail
    assert not EsdlModel.objects.exists() and not InputProfile.objects.exists()


@pytest.mark.django_db
def test_upload_with_more_profiles_than_a_model_may_have_is_refused(api, project, settings):
    settings.MODEL_MAX_PROFILES = 2

    response = upload(api, project, "three_profiles", network_text(10).encode())

    assert response.status_code == 422, response.content
    assert response.json()["detail"] == (
        "The model: 3 input profiles: a model may have at most 2 (DT_MODEL_MAX_PROFILES)"
    )


@pytest.fixture
def binding(api, project):
    """The one input profile reference of a generated 6-asset network, bound."""
    response = upload(api, project, "small", network_text(6).encode())
    assert response.status_code == 201, response.content
    bind_profiles(response.json()["id"])
    return EsdlModel.objects.get(pk=response.json()["id"]).profile_bindings.get()


def csv_rows(start: datetime, step: timedelta, count: int) -> bytes:
    rows = (f"{(start + i * step).isoformat()},{1000 + i}\n" for i in range(count))
    return ("timestamp,value_w\n" + "".join(rows)).encode()


def post_csv(client, owner, binding, data: bytes):
    client.force_login(owner)
    return client.post(
        f"/profiles/bindings/{binding.pk}/csv/",
        {"file": SimpleUploadedFile("profile.csv", data)},
    )


def assert_refused(response, binding, reason: str) -> None:
    """400 with the model's page saying which asset's CSV broke which limit; nothing stored."""
    assert response.status_code == 400
    page = response.content.decode()
    asset = f"CSV for {binding.asset_name} (asset id {binding.asset_id})"
    assert f"Profile not replaced: {asset}: {reason}" in page, page[-3000:]
    assert InputProfile.objects.filter(source=InputProfile.Source.CSV).count() == 0
    assert binding.profile_id == type(binding).objects.get(pk=binding.pk).profile_id


START = datetime(2019, 1, 1, tzinfo=UTC)


@pytest.mark.django_db
def test_csv_with_more_points_than_a_profile_may_have_is_refused(client, owner, binding, settings):
    settings.PROFILE_MAX_POINTS = 48

    response = post_csv(client, owner, binding, csv_rows(START, timedelta(hours=1), 49))

    assert_refused(
        response,
        binding,
        "Line 50: 49 points: a profile may have at most 48 (DT_PROFILE_MAX_POINTS).",
    )


@pytest.mark.django_db
def test_csv_with_points_spread_a_week_apart_over_eleven_years_is_refused(client, owner, binding):
    response = post_csv(client, owner, binding, csv_rows(START, timedelta(weeks=1), 574))

    assert_refused(
        response,
        binding,
        "Line 524: 2019-01-01T00:00:00+00:00 to 2029-01-02T00:00:00+00:00: a profile may cover "
        "at most 10 years (DT_PROFILE_MAX_YEARS).",
    )


@pytest.mark.django_db
def test_csv_with_a_timestamp_outside_the_years_allowed_is_refused(client, owner, binding):
    response = post_csv(
        client, owner, binding, csv_rows(datetime(1850, 1, 1, tzinfo=UTC), timedelta(hours=1), 3)
    )

    assert_refused(
        response, binding, "Line 2: 1850-01-01T00:00:00+00:00 must be in the years 1900-2100."
    )


@pytest.mark.django_db
def test_csv_that_would_take_the_model_past_its_points_is_refused(client, owner, binding, settings):
    settings.MODEL_MAX_PROFILE_POINTS = 100

    response = post_csv(client, owner, binding, csv_rows(START, timedelta(hours=1), 101))

    assert_refused(
        response,
        binding,
        "The model: its input profiles have 101 points together: a model may have at most 100 "
        "(DT_MODEL_MAX_PROFILE_POINTS).",
    )


SIMULATOR = describe(SimulatorWorkflow())


def refusal_of_job(params: dict) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        clean_params(SIMULATOR, params)
    return refused.value.messages


def test_job_over_two_centuries_is_refused_naming_its_parameters_and_the_limit() -> None:
    assert refusal_of_job(
        {"start": "1900-01-01T00:00:00+00:00", "end": "2100-01-01T00:00:00+00:00"}
    ) == [
        "Start to End: 1900-01-01T00:00:00+00:00 to 2100-01-01T00:00:00+00:00: a job may cover "
        "at most 10 years (DT_PROFILE_MAX_YEARS)"
    ]


def test_job_starting_outside_the_years_allowed_is_refused() -> None:
    assert refusal_of_job({"start": "1700-01-01T00:00:00+00:00"}) == [
        "Start: 1700-01-01T00:00:00+00:00 must be in the years 1900-2100"
    ]


def test_job_with_more_time_steps_than_a_series_may_have_is_refused() -> None:
    params = {
        "start": "2019-01-01T00:00:00+00:00",
        "end": "2020-01-01T00:00:00+00:00",
        "timestep_s": 60,
    }

    assert refusal_of_job(params) == [
        "Start to End: 525,601 time steps: a job may have at most 43,920 (DT_PROFILE_MAX_POINTS)"
    ]


def test_job_of_a_year_hourly_is_accepted() -> None:
    params = {"start": "2019-01-01T00:00:00+00:00", "end": "2019-12-31T23:00:00+00:00"}

    assert clean_params(SIMULATOR, params)["end"] == "2019-12-31T23:00:00+00:00"
