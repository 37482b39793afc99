"""A simulation runs on the outside data itself: the binder copies the series an ESDL names from
a listed server, the worker reads the copy from our store (never the outside server), and each
demand the simulator reports is the outside series in W, hour by hour."""

from __future__ import annotations

import signal

import pytest

from apps.models.esdl_document import EsdlDocument
from apps.models.models import EsdlModel
from apps.outside.models import JobInput
from apps.profiles.binding import bind_next_model
from tests.jobs.test_end_to_end import wait_until_done
from tests.models.test_upload_api import upload
from tests.outside.conftest import outside_network, value_at
from tests.outside.test_profile_sources import LOOPBACK_INFLUX

DAY = {"start": "2019-01-01T00:00:00+00:00", "end": "2019-01-01T23:00:00+00:00"}


@pytest.mark.timeout(300)
def test_the_simulator_sees_the_outside_series(
    api, project, stack, simulator_worker, outside_influx, allow, reader_env
):
    allow({**LOOPBACK_INFLUX, **reader_env})  # in this process: its binder does the fetching
    stack.kill("profiles", signal.SIGTERM)
    try:
        model = upload(api, project, "outside", outside_network()).json()
        while bind_next_model():
            pass
    finally:
        stack.start_profile_binder()
    assert api.get(f"/api/models/{model['id']}/").json()["profiles_status"] == "ready"

    response = api.post(
        "/api/jobs/", {"model": model["id"], "workflow": "simulator", "params": DAY}, format="json"
    )
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    state = wait_until_done(api, job_id, 240)

    assert state["status"] == "succeeded", state["error"]
    assert JobInput.objects.filter(job_id=job_id, checksum__startswith="sha256:").count() == 3
    esdl = EsdlModel.objects.get(pk=model["id"]).esdl
    references = {r.asset_id: r for r in EsdlDocument(esdl).profile_references()}
    series = api.get(f"/api/jobs/{job_id}/series/").json()
    demands = [s for s in series if s["asset_id"] in references and s["field"] == "heat_demand"]
    assert len(demands) == 3
    for entry in demands:
        reference = references[entry["asset_id"]]
        data = api.get(
            f"/api/jobs/{job_id}/series/data/",
            {"asset_id": entry["asset_id"], "field": "heat_demand"},
        ).json()
        values = [value for _, value in data["points"]]
        expected = [value_at(h, reference.field) * 1e6 * reference.multiplier for h in range(24)]
        # a consumer gets its set point to within the solver's tolerance (~2e-6 relative)
        assert values == pytest.approx(expected, rel=1e-4)
