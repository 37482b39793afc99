"""The network map's API: who may read it, and the numbers it gives for colouring the map."""

from __future__ import annotations

import numpy as np
import pytest
from django.utils import timezone
from esdl import esdl
from rest_framework.test import APIClient

from apps.jobs.models import JobRecord
from apps.models.esdl_document import EsdlDocument
from apps.sharing.services import share
from tests.network.results import START, STEP_S, value

pytestmark = pytest.mark.django_db

STEPS = 48


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def owner_api(owner) -> APIClient:
    return client_for(owner)


def network_assets(job) -> list:
    return list(EsdlDocument(job.esdl).assets())


def expected(job, kind: type, quantity: str) -> dict[str, np.ndarray]:
    """asset id -> its written values of ``quantity`` over time (see tests.network.results)."""
    assets = network_assets(job)
    return {
        a.id: np.array([value(i, quantity, s) for s in range(STEPS)])
        for i, a in enumerate(assets)
        if isinstance(a, kind)
    }


def test_model_network_is_geojson_of_every_asset(owner_api, job):
    answer = owner_api.get(f"/api/models/{job.esdl_model_id}/network/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["layout"] == "geographic"
    assert {f["id"] for f in body["features"]} == {a.id for a in network_assets(job)}


def test_stranger_and_anonymous_cannot_read_a_network(make_user, job):
    stranger = client_for(make_user())
    for url in (
        f"/api/models/{job.esdl_model_id}/network/",
        f"/api/jobs/{job.pk}/network/",
        f"/api/jobs/{job.pk}/network-values/?quantity=heat_loss",
        f"/api/jobs/{job.pk}/asset-results/?asset_id=x",
    ):
        assert stranger.get(url).status_code == 404, url
        assert APIClient().get(url).status_code == 401, url


def test_a_viewer_of_the_project_reads_the_job_map(make_user, job):
    viewer = make_user()
    share(job.esdl_model.project, viewer, "view")
    answer = client_for(viewer).get(f"/api/jobs/{job.pk}/network-values/?quantity=heat_loss")
    assert answer.status_code == 200


def test_job_network_offers_the_quantities_the_job_wrote(owner_api, job):
    body = owner_api.get(f"/api/jobs/{job.pk}/network/").json()
    keys = [q["key"] for q in body["quantities"]]
    assert keys[:4] == ["heat_loss", "heat_supplied", "heat_demand", "load_factor"]
    assert {"inlet.temperature", "outlet.temperature"} <= set(keys)
    units = {q["key"]: q["unit"] for q in body["quantities"]}
    assert units["heat_loss"] == "W" and units["inlet.temperature"] == "K"
    assert units["load_factor"] == "-"


@pytest.mark.parametrize("aggregate", ["mean", "max", "min"])
def test_period_aggregate_of_pipe_heat_loss_per_asset(owner_api, job, aggregate):
    answer = owner_api.get(
        f"/api/jobs/{job.pk}/network-values/", {"quantity": "heat_loss", "aggregate": aggregate}
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    pipes = expected(job, esdl.Pipe, "heat_loss")
    assert body["values"].keys() == pipes.keys()
    for asset_id, series in pipes.items():
        assert body["values"][asset_id] == pytest.approx(getattr(np, aggregate)(series))
    assert body["unit"] == "W"
    assert body["min"] == pytest.approx(min(body["values"].values()))
    assert body["period"]["step_s"] == STEP_S
    assert body["period"]["start_s"] == int(START.timestamp())


def test_value_at_a_moment(owner_api, job):
    step = 7
    answer = owner_api.get(
        f"/api/jobs/{job.pk}/network-values/",
        {"quantity": "inlet.temperature", "aggregate": "at", "time": "2019-01-01T07:00:00Z"},
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["time"] == "2019-01-01T07:00:00Z"
    temperatures = {
        **expected(job, esdl.Pipe, "temperature"),
        **expected(job, esdl.Joint, "temperature"),
    }
    assert body["values"].keys() == temperatures.keys()
    for asset_id, series in temperatures.items():
        assert body["values"][asset_id] == pytest.approx(series[step])


def test_load_factor_is_heat_over_installed_power(owner_api, job):
    body = owner_api.get(
        f"/api/jobs/{job.pk}/network-values/", {"quantity": "load_factor", "aggregate": "max"}
    ).json()
    assets = {a.id: a for a in network_assets(job)}
    producers = expected(job, esdl.Producer, "heat_supplied")
    consumers = expected(job, esdl.Consumer, "heat_demand")
    assert body["values"].keys() == producers.keys() | consumers.keys()
    for asset_id, series in {**producers, **consumers}.items():
        assert body["values"][asset_id] == pytest.approx(series.max() / assets[asset_id].power)


@pytest.mark.parametrize(
    "query,status",
    [
        ({}, 400),
        ({"quantity": "heat_loss", "aggregate": "median"}, 400),
        ({"quantity": "heat_loss", "aggregate": "at"}, 400),
        ({"quantity": "heat_loss", "aggregate": "at", "time": "yesterday"}, 400),
        ({"quantity": "heat_loss", "aggregate": "at", "time": "2030-01-01T00:00:00Z"}, 400),
        ({"quantity": "no_such_quantity"}, 404),
    ],
)
def test_bad_questions_get_a_clear_4xx(owner_api, job, query, status):
    answer = owner_api.get(f"/api/jobs/{job.pk}/network-values/", query)
    assert answer.status_code == status, answer.content
    assert answer.json()["detail"]


def test_asset_results_summarise_each_output(owner_api, job):
    pipe = next(a for a in network_assets(job) if isinstance(a, esdl.Pipe))
    body = owner_api.get(f"/api/jobs/{job.pk}/asset-results/", {"asset_id": pipe.id}).json()
    outputs = {o["field"]: o for o in body["outputs"]}
    assert list(outputs)[0] == "heat_loss"  # asset-level quantities first
    heat_loss = expected(job, esdl.Pipe, "heat_loss")[pipe.id]
    assert outputs["heat_loss"]["mean"] == pytest.approx(heat_loss.mean())
    assert outputs["heat_loss"]["max"] == pytest.approx(heat_loss.max())
    assert outputs["heat_loss"]["unit"] == "W"
    assert outputs["In.temperature"]["unit"] == "K"


def test_deleted_results_are_not_offered(owner_api, job, owner):
    JobRecord.objects.create(job=job, results_deleted_at=timezone.now(), results_deleted_by=owner)
    assert owner_api.get(f"/api/jobs/{job.pk}/network/").json()["quantities"] == []
    answer = owner_api.get(f"/api/jobs/{job.pk}/network-values/", {"quantity": "heat_loss"})
    assert answer.status_code == 404


def test_an_unreadable_esdl_gives_an_empty_network_with_the_reason(owner_api, job):
    job.esdl_model.esdl = "not xml"
    job.esdl_model.save()
    body = owner_api.get(f"/api/models/{job.esdl_model_id}/network/").json()
    assert body["features"] == []
    assert body["notes"][0].startswith("The model could not be read")
