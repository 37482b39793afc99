"""The profiles database keeps its data in long shards, and no profile outlives the models that
bind it: deleting a model, its project or its owner removes its profiles' rows and points."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.models.models import EsdlModel
from apps.profiles.models import InputProfile
from apps.profiles.services import (
    forget_unbound_profiles,
    store_profile,
    sweep_unbound_profiles,
)
from apps.profiles.standard import bdew_heat_profile
from apps.results.influx import influx_client
from apps.sharing.services import share
from omotes.esdl_generator import network_text
from omotes.influx import rows
from tests.conftest import bind_profiles
from tests.models.test_upload_api import upload


@pytest.fixture
def profiles_database(settings) -> Iterator[str]:
    """A profiles database of this test's own, dropped at the end."""
    database = f"test_profiles_store_{uuid.uuid4().hex[:8]}"
    settings.INFLUX_PROFILES_DATABASE = database
    yield database
    influx_client().drop_database(database)


def shards_of(database: str) -> list[dict]:
    return [
        row for row in rows(influx_client().query("SHOW SHARDS")) if row["database"] == database
    ]


def a_year_hourly() -> list[tuple[datetime, float]]:
    return bdew_heat_profile(
        datetime(2019, 1, 1, tzinfo=UTC), datetime(2019, 12, 31, 23, tzinfo=UTC), 1e6
    )


@pytest.mark.django_db
def test_a_year_of_profile_points_is_one_shard(owner, profiles_database):
    store_profile(owner, "A year", InputProfile.Source.CSV, a_year_hourly())

    assert len(shards_of(profiles_database)) == 1


@pytest.mark.django_db
def test_a_profiles_database_made_with_weekly_shards_gets_long_ones(owner, profiles_database):
    influx_client().create_database(profiles_database)  # as the product made it before

    store_profile(owner, "A year", InputProfile.Source.CSV, a_year_hourly())

    [policy] = rows(influx_client().query(f'SHOW RETENTION POLICIES ON "{profiles_database}"'))
    assert policy["shardGroupDuration"] == "1680000h0m0s"  # 10000 weeks
    assert len(shards_of(profiles_database)) == 1


@pytest.mark.django_db
def test_a_profiles_database_dropped_while_the_process_runs_is_made_again(owner, profiles_database):
    store_profile(owner, "Before", InputProfile.Source.CSV, a_year_hourly()[:48])
    influx_client().drop_database(profiles_database)  # an operator, or a restore from backup

    after = store_profile(owner, "After", InputProfile.Source.CSV, a_year_hourly()[:48])

    assert after.measurement in measurements()


@pytest.mark.django_db
def test_profiles_whose_database_is_gone_are_forgotten(owner, profiles_database):
    profiles = [
        store_profile(owner, name, InputProfile.Source.CSV, a_year_hourly()[:48])
        for name in ("One", "Two")
    ]
    influx_client().drop_database(profiles_database)

    assert forget_unbound_profiles([p.pk for p in profiles]) == 2

    assert not InputProfile.objects.filter(pk__in=[p.pk for p in profiles]).exists()


def measurements() -> set[str]:
    from django.conf import settings

    found = rows(influx_client().query("SHOW MEASUREMENTS", settings.INFLUX_PROFILES_DATABASE))
    return {row["name"] for row in found}


@pytest.fixture
def bound_model(api, project) -> EsdlModel:
    """A generated network with three input profile references, each bound."""
    response = upload(api, project, "network", network_text(10).encode())
    assert response.status_code == 201, response.content
    bind_profiles(response.json()["id"])
    esdl_model = EsdlModel.objects.get(pk=response.json()["id"])
    assert esdl_model.profile_bindings.count() == 3
    return esdl_model


def profiles_of(esdl_model: EsdlModel) -> list[InputProfile]:
    return [binding.profile for binding in esdl_model.profile_bindings.select_related("profile")]


def assert_gone(profiles: list[InputProfile]) -> None:
    assert not InputProfile.objects.filter(pk__in=[p.pk for p in profiles]).exists()
    assert not {p.measurement for p in profiles} & measurements()


@pytest.mark.django_db
def test_deleting_a_user_removes_the_profiles_of_their_models(
    owner, bound_model, django_capture_on_commit_callbacks
):
    profiles = profiles_of(bound_model)
    assert {p.measurement for p in profiles} <= measurements()

    with django_capture_on_commit_callbacks(execute=True):
        owner.delete()

    assert_gone(profiles)


@pytest.mark.django_db
def test_deleting_a_project_removes_the_profiles_of_its_models(
    bound_model, django_capture_on_commit_callbacks
):
    profiles = profiles_of(bound_model)

    with django_capture_on_commit_callbacks(execute=True):
        bound_model.project.delete()

    assert_gone(profiles)


@pytest.mark.django_db
def test_a_profile_replaced_by_a_csv_is_removed(
    client, owner, bound_model, django_capture_on_commit_callbacks
):
    binding = bound_model.profile_bindings.select_related("profile").first()
    client.force_login(owner)
    rows_csv = "".join(f"2019-01-01T{hour:02d}:00:00Z,{1000 * hour}\n" for hour in range(24))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/profiles/bindings/{binding.pk}/csv/",
            {"file": SimpleUploadedFile("profile.csv", rows_csv.encode())},
        )

    assert response.status_code == 302
    assert_gone([binding.profile])


@pytest.mark.django_db
def test_a_csv_an_editor_uploaded_outlives_the_editor(
    client, make_user, bound_model, django_capture_on_commit_callbacks
):
    editor = make_user()
    share(bound_model.project, editor, "edit")
    binding = bound_model.profile_bindings.first()
    client.force_login(editor)
    client.post(
        f"/profiles/bindings/{binding.pk}/csv/",
        {"file": SimpleUploadedFile("p.csv", b"2019-01-01T00:00Z,1\n2019-01-01T01:00Z,2\n")},
    )
    binding.refresh_from_db()
    assert binding.profile.owner == editor

    with django_capture_on_commit_callbacks(execute=True):
        editor.delete()

    binding.refresh_from_db()
    assert binding.profile.owner is None
    assert binding.profile.measurement in measurements()


@pytest.mark.django_db
def test_the_sweep_removes_unbound_profiles_a_crash_left_but_not_new_ones(owner):
    left = store_profile(owner, "Left by a crash", InputProfile.Source.BDEW, a_year_hourly()[:48])
    InputProfile.objects.filter(pk=left.pk).update(
        created_at=datetime.now(UTC) - timedelta(hours=1)
    )
    being_bound = store_profile(
        owner, "Being bound", InputProfile.Source.BDEW, a_year_hourly()[:48]
    )

    assert sweep_unbound_profiles() == 1

    assert_gone([left])
    assert InputProfile.objects.filter(pk=being_bound.pk).exists()
    assert being_bound.measurement in measurements()
