"""Models from the field: each uploads, or is refused with a reason naming what to change; a
workflow that cannot run one refuses it at submit, naming the assets (issue 19)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.jobs.models import Job
from apps.jobs.preflight import preflight, unavailable_reasons
from apps.models.esdl_document import EsdlDocument
from apps.models.models import EsdlModel
from apps.models.services import esdl_for_job
from omotes.workflows.base import describe
from omotes.workflows.simulator import workflow as simulator
from tests.conftest import bind_profiles
from tests.corpus import corpus_bytes, generated_network
from tests.jobs.worker_events import announce
from tests.models import field_samples as samples
from tests.models.test_upload_api import upload

pytestmark = pytest.mark.django_db


def uploaded(api, project, content: bytes, bind: bool = True) -> dict:
    response = upload(api, project, "field", content)
    assert response.status_code == 201, response.content
    if bind:
        bind_profiles(response.json()["id"])
    return response.json()


def submit(api, model_id: int, workflow: str = "simulator"):
    week = {"start": "2019-01-01T00:00:00+00:00", "end": "2019-01-07T23:00:00+00:00"}
    return api.post(
        "/api/jobs/", {"model": model_id, "workflow": workflow, "params": week}, format="json"
    )


def test_an_asset_without_a_name_is_bound_under_its_id(api, project):
    model = uploaded(api, project, samples.unnamed_demand())

    binding = EsdlModel.objects.get(pk=model["id"]).profile_bindings.get()
    assert binding.asset_name == samples.DEMAND_ID
    job_esdl = EsdlDocument(esdl_for_job(EsdlModel.objects.get(pk=model["id"])))
    assert {a.name for a in job_esdl.assets() if a.id == samples.DEMAND_ID} == {
        f"HeatingDemand_{samples.DEMAND_ID}"
    }


def test_a_profile_without_dates_is_bound_over_the_assumed_year(api, project):
    model = uploaded(api, project, samples.undated_profile())

    profile = EsdlModel.objects.get(pk=model["id"]).profile_bindings.get().profile
    assert (profile.start.isoformat(), profile.end.isoformat()) == (
        "2019-01-01T00:00:00+00:00",
        "2019-12-31T23:00:00+00:00",
    )
    assert any("state no startDate or endDate" in note for note in model["summary"]["notes"])


def test_an_output_esdl_keeps_its_results_out_of_the_inputs_and_shows_its_kpis(
    api, project, client, owner
):
    model = uploaded(api, project, samples.output_of_another_system())
    summary = model["summary"]

    assert summary["result_profiles"] == 2
    assert [p["id"] for p in summary["input_profiles"]] == ["a0116be5-ab0c-4681-88f8-e3d0d3290a4c"]
    # the period comes from the input profile, not from the two-hour run of the results
    assert summary["profile_period"]["end"] == "2019-12-31T23:00:00+00:00"
    assert EsdlModel.objects.get(pk=model["id"]).profile_bindings.count() == 1
    assert "result-pipe" not in esdl_for_job(EsdlModel.objects.get(pk=model["id"]))
    client.force_login(owner)
    page = client.get(f"/models/{model['id']}/").content.decode()
    assert "Levelised cost of heat" in page and "42.5" in page and "all electric" in page
    assert "hold results of an earlier run" in page


@pytest.mark.parametrize("catalogue", ["measures", "templates"])
def test_a_dn_pipe_takes_its_size_from_the_models_own_catalogue(api, project, catalogue):
    call_command("load_pipe_catalogue")
    model = uploaded(api, project, samples.dn_only_pipe("DN15", catalogue), bind=False)

    assert model["summary"]["asset_total"] == 6  # catalogue pipes are not assets
    assert model["summary"]["catalogue_pipes"] == 2
    assert model["summary"]["preflight"] == {}  # no worker announced yet: nothing checked
    bind_profiles(model["id"])
    document = EsdlDocument(esdl_for_job(EsdlModel.objects.get(pk=model["id"])))
    pipe = next(a for a in document.assets() if a.name == samples.SUPPLY_PIPE)
    assert pipe.innerDiameter == pytest.approx(0.0161)
    # the catalogue's DN-only DN20 was filled from ours: nothing left to fetch from the EDR
    assert document.unresolved_pipe_sizes() == []
    assert all(p.innerDiameter for p in document.catalogue_pipes())


@pytest.mark.parametrize(
    "content,asset_name,problem",
    [
        (samples.dn_only_pipe("DN10", "measures"), samples.SUPPLY_PIPE, "DN10 (Steel-S1-DN-10)"),
        (samples.loose_producer_port(), "GenericProducer_0001", "not connected: InPort In"),
        (samples.electricity_cable(), "Cable_1", "ElectricityCable is not supported"),
        (
            samples.producer_of_class("GasHeater").encode(),
            "GenericProducer_0001",
            "never drives a gas heater, so it would supply no heat",
        ),
    ],
    ids=["dn-pipe-nowhere", "port-connected-to-nothing", "electricity-cable", "gas-heater"],
)
def test_a_model_the_simulator_cannot_run_is_refused_at_submit_naming_assets(
    api, project, content, asset_name, problem
):
    announce("worker-a", simulator)
    model = uploaded(api, project, content)
    problems = model["summary"]["preflight"]["simulator"]["problems"]
    assert any(p["asset_name"] == asset_name and problem in p["problem"] for p in problems)

    announce("worker-a", simulator)  # binding took a while: the worker is still alive
    response = submit(api, model["id"])

    assert response.status_code == 422, response.content
    body = response.json()
    assert any(
        a["asset_name"] == asset_name and problem in a["problem"] and a["hint"]
        for a in body["assets"]
    ), body
    assert body["errors"]["assets"] and body["detail"]
    assert not Job.objects.exists()


def test_a_consumer_without_a_demand_profile_gets_a_standard_one_when_simulated(api, project):
    model = uploaded(api, project, generated_network(6, profiles=False), bind=False)
    assert model["profiles_status"] == "ready"  # nothing to bind at upload
    assert any("have no demand profile" in note for note in model["summary"]["notes"])

    announce("worker-a", simulator)
    response = submit(api, model["id"])

    assert response.status_code == 201, response.content
    binding = EsdlModel.objects.get(pk=model["id"]).profile_bindings.get()
    assert binding.asset_name == samples.DEMAND
    assert binding.profile.start.isoformat() == "2019-01-01T00:00:00+00:00"
    job_esdl = EsdlDocument(Job.objects.get(pk=response.json()["id"]).esdl)
    assert [r.id for r in job_esdl.profile_references()] == [f"standard-demand-{samples.DEMAND_ID}"]
    assert job_esdl.consumers_without_profile() == []


def test_ports_connected_to_nothing_are_a_warning_at_upload(api, project, client, owner):
    model = uploaded(api, project, samples.loose_producer_port())

    warned = {w["asset_name"] for w in model["summary"]["connectivity_warnings"]}
    assert warned == {"GenericProducer_0001", "Pipe_production_return_0001"}
    client.force_login(owner)
    page = client.get(f"/models/{model['id']}/").content.decode()
    assert "Ports connected to nothing" in page


def test_the_model_page_says_which_workflows_can_run_it(api, project, client, owner):
    announce("worker-a", simulator)
    runs = uploaded(api, project, samples.base().encode())
    cannot = uploaded(api, project, samples.electricity_cable())
    client.force_login(owner)

    runs_page = client.get(f"/models/{runs['id']}/").content.decode()
    cannot_page = client.get(f"/models/{cannot['id']}/").content.decode()

    assert 'data-workflow="simulator" data-can-run="yes"' in runs_page
    assert 'data-workflow="simulator" data-can-run="no"' in cannot_page
    assert 'data-asset-id="cable-1"' in cannot_page


def test_a_readiness_kept_under_older_rules_is_checked_again(api, project, client, owner):
    """A gas heater passed the simulator's check before it was known to supply nothing; the
    same simulator version must not keep the old answer on the model page."""
    announce("worker-a", simulator)
    model = uploaded(api, project, samples.producer_of_class("GasHeater").encode())
    stored = EsdlModel.objects.get(pk=model["id"])
    assert stored.summary["preflight"]["simulator"]["problems"]
    # as a model uploaded under the earlier rules kept it: the bare version, no problems
    stored.summary["preflight"]["simulator"] = {"version": simulator.version, "problems": []}
    stored.save(update_fields=["summary"])
    client.force_login(owner)

    page = client.get(f"/models/{model['id']}/").content.decode()

    assert 'data-workflow="simulator" data-can-run="no"' in page
    assert "never drives a gas heater" in page


def test_an_old_esdl_version_is_refused_naming_its_version(api, project):
    response = upload(api, project, "old", samples.old_version())

    assert response.status_code == 400
    assert "states ESDL version v1911" in response.json()["detail"]


def test_assets_named_alike_are_named_by_the_simulator_check():
    text = samples.base().replace("Pipe_production_return_0001", "Pipe_production_supply_0001")
    document = EsdlDocument(text)

    problems = preflight(document, describe(simulator), {})

    assert {p.asset_name for p in problems} == {"Pipe_production_supply_0001"}
    assert len(problems) == 2 and "2 assets are named" in problems[0].problem


# --- the same on real models (skipped without the corpus; DT_ESDL_CORPUS) ----------------------


def test_a_real_output_esdl_binds_only_its_input_profile(api, project):
    model = uploaded(api, project, corpus_bytes("simworker_test1_output.esdl"))

    assert model["summary"]["result_profiles"] == 24
    assert len(model["summary"]["input_profiles"]) == 1


def test_a_real_dn_pipe_catalogue_is_not_counted_as_assets(api, project):
    name = (
        "mesido_test_case_small_network_ates_buffer_optional_assets_"
        "test_case_small_network_all_optional_pipe_catalog_with_templates.esdl"
    )
    model = uploaded(api, project, corpus_bytes(name), bind=False)

    assert model["summary"]["asset_total"] == 25
    assert model["summary"]["catalogue_pipes"] == 23


def test_a_real_ates_model_is_refused_at_submit_naming_the_ates(api, project):
    announce("worker-a", simulator)
    model = uploaded(api, project, corpus_bytes("test_ates.esdl"))

    announce("worker-a", simulator)
    response = submit(api, model["id"])

    assert response.status_code == 422
    assert [a["asset_name"] for a in response.json()["assets"]] == ["ATES_4d6d"]


def test_the_run_form_can_ask_why_a_workflow_cannot_run_a_model(api, project):
    """Checked for a workflow announced after the upload, on first asking, and kept."""
    cannot = uploaded(api, project, samples.electricity_cable(), bind=False)
    runs = uploaded(api, project, samples.base().encode(), bind=False)
    description = describe(simulator)

    reasons = unavailable_reasons(EsdlModel.objects.get(pk=cannot["id"]), [description])

    assert reasons["simulator"].startswith("Cable_1: ElectricityCable is not supported")
    assert EsdlModel.objects.get(pk=cannot["id"]).summary["preflight"]["simulator"]["problems"]
    assert unavailable_reasons(EsdlModel.objects.get(pk=runs["id"]), [description]) == {}
