"""The job series API names quantities for people and sums a quantity over all assets."""

from __future__ import annotations

import pytest

from tests.comparison.results import (
    CONSUMER,
    HOUR_S,
    PRODUCER,
    START_S,
    Asset,
    make_project,
    store_job,
    value_at,
)

pytestmark = pytest.mark.django_db

OTHER_CONSUMER = Asset("cons-2", "Consumer 2", "GenericConsumer", ("heat_demand",))
STEPS = 48


@pytest.fixture
def job(owner):
    project = make_project(owner, "Totals")
    return store_job(
        project, "Two consumers", steps=STEPS, assets=(PRODUCER, CONSUMER, OTHER_CONSUMER)
    )


def test_series_list_carries_the_catalogue_entry_and_the_class_for_people(client, owner, job):
    client.force_login(owner)

    listed = client.get(f"/api/jobs/{job.pk}/series/").json()

    producer = next(s for s in listed if s["asset_id"] == "prod-1")
    assert producer["asset_class_name"] == "Producer"
    assert producer["quantity"]["name"] == "Heat supplied"
    assert producer["quantity"]["group"] == "heat"
    assert producer["quantity"]["si_unit"] == "W"
    assert producer["unit"] == "W"  # the stored unit, as before
    assert producer["quantity"]["shown_sign"] == 1


def test_a_set_point_stored_negative_is_sent_as_stored_with_the_sign_pages_show_it_with(
    client, owner
):
    asked = Asset("prod-s", "Boiler", "GenericProducer", ("heat_supplied", "heat_supply_set_point"))
    job = store_job(make_project(owner, "Signs"), "Set point", steps=STEPS, assets=(asked,))
    client.force_login(owner)

    data = client.get(
        f"/api/jobs/{job.pk}/series/data/", {"asset_id": "prod-s", "field": "heat_supply_set_point"}
    ).json()

    assert data["quantity"]["shown_sign"] == -1
    assert all(value < 0 for _, value in data["points"])  # the API keeps the stored values


def test_series_data_names_its_quantity(client, owner, job):
    client.force_login(owner)

    data = client.get(
        f"/api/jobs/{job.pk}/series/data/", {"asset_id": "cons-1", "field": "heat_demand"}
    ).json()

    assert data["quantity"]["name"] == "Heat demand"
    assert len(data["points"]) == STEPS


def test_total_adds_up_every_asset_per_time_step(client, owner, job):
    client.force_login(owner)

    total = client.get(f"/api/jobs/{job.pk}/series/total/", {"field": "heat_demand"}).json()

    assert total["assets"] == 2
    assert total["unit"] == "W"
    assert [t for t, _ in total["points"]] == [START_S + i * HOUR_S for i in range(STEPS)]
    for i, (_, value) in enumerate(total["points"]):
        expected = sum(value_at(a, "heat_demand", i, 1.0) for a in (CONSUMER, OTHER_CONSUMER))
        assert value == pytest.approx(expected, rel=1e-9)


def test_total_of_an_unknown_field_is_a_404_and_a_missing_one_a_400(client, owner, job):
    client.force_login(owner)

    unknown = client.get(f"/api/jobs/{job.pk}/series/total/", {"field": "nothing"})
    missing = client.get(f"/api/jobs/{job.pk}/series/total/")

    assert unknown.status_code == 404
    assert missing.status_code == 400
    assert "field" in missing.json()["errors"]
