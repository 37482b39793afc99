"""What protects a job from a model from the field: the pre-flight check, a worker that fails
closed on outbound connections, and errors without tracebacks (issue 19)."""

from __future__ import annotations

import uuid

import esdl
import pytest
from esdl.esdl_handler import EnergySystemHandler

from omotes.influx import InfluxSettings
from omotes.preflight import SIMULATOR_ASSET_TYPES, check_model
from omotes.protocol import WorkflowDescription
from omotes.worker.child import run_in_child
from omotes.workflows.base import describe
from omotes.workflows.simulator import drop_catalogue_assets
from omotes.workflows.simulator import workflow as simulator
from tests.models import field_samples as samples

PLUGINS = "tests.omotes.field_plugins"


def energy_system(content: bytes):
    return EnergySystemHandler().load_from_string(content.decode())


def run(plugin: str, **params):
    return run_in_child(
        f"{PLUGINS}:{plugin}", uuid.uuid4(), "<esdl/>", params, InfluxSettings(), 60, lambda *a: 0
    )


def test_the_simulators_declared_types_are_its_mapper_registry_less_two_plus_joints():
    """Less ATES (no Rosim here) and GasHeater (mapped, never driven: see the next file's
    controller test)."""
    from omotes_simulator_core.adapter.transforms.esdl_asset_mapper import conversion_dict_mappers

    mapped = {kind.__name__ for kind in conversion_dict_mappers}
    assert set(SIMULATOR_ASSET_TYPES) == mapped - {"ATES", "GasHeater"} | {"Joint"}
    assert describe(simulator).supported_asset_types == SIMULATOR_ASSET_TYPES
    wire = WorkflowDescription.from_dict(describe(simulator).to_dict())
    assert wire.supported_asset_types == SIMULATOR_ASSET_TYPES


def test_an_older_workflow_description_without_types_takes_any_asset():
    data = describe(simulator).to_dict()
    del data["supported_asset_types"]
    description = WorkflowDescription.from_dict({**data, "name": "other"})

    assert description.supported_asset_types == ()
    assert check_model(description, energy_system(samples.electricity_cable())) == []


def test_the_simulator_check_names_each_asset_it_cannot_take():
    problems = check_model(describe(simulator), energy_system(samples.electricity_cable()))

    assert {(p.asset_id, p.asset_name) for p in problems} == {("cable-1", "Cable_1")}
    assert "ElectricityCable is not supported" in problems[0].problem
    assert "HeatingDemand" in problems[0].hint


def test_the_simulator_check_names_a_consumer_without_a_demand_profile():
    system = energy_system(samples.base().encode())
    demand = next(a for a in system.eAllContents() if isinstance(a, esdl.HeatingDemand))
    demand.port[0].profile.clear()

    [problem] = check_model(describe(simulator), system)

    assert problem.asset_name == samples.DEMAND
    assert "no demand profile" in problem.problem


def test_a_model_pipe_catalogue_never_reaches_the_simulator():
    """pyesdl (and so the simulator) takes catalogue pipes for assets; a DN-only one would be
    fetched from the Energy Data Repository."""
    from omotes_simulator_core.adapter.transforms.string_to_esdl import OmotesAssetLabels
    from omotes_simulator_core.entities.esdl_object import EsdlObject

    handler = EnergySystemHandler()
    handler.load_from_string(samples.dn_only_pipe("DN50", "templates").decode())
    pipes = EsdlObject(handler).get_all_assets_of_type(OmotesAssetLabels.PIPE)
    assert len(pipes) == 4

    assert drop_catalogue_assets(handler.energy_system) == 2

    pipes = EsdlObject(handler).get_all_assets_of_type(OmotesAssetLabels.PIPE)
    assert len(pipes) == 2


def test_an_unexplained_failure_reaches_the_user_without_a_traceback():
    outcome = run("crash")

    assert outcome.error == (
        "The calculation failed unexpectedly (ValueError: The number of in ports and out ports "
        "are not equal). Staff can see the details in the job's log."
    )
    assert "Traceback (most recent call last)" in outcome.logs  # for the staff view


@pytest.mark.parametrize(
    "url,where",
    [
        ("https://edr.hesi.energy/api/edr/item", "edr.hesi.energy:443"),
        ("http://192.0.2.10:8086/query", "192.0.2.10:8086"),
    ],
    ids=["by-name", "by-address"],
)
def test_a_job_cannot_connect_outside_the_product(url, where):
    outcome = run("reach", url=url)

    assert outcome.result is None
    assert f"tried to connect outside the product, to {where}; this was blocked" in outcome.error
    assert "outbound connection blocked" in outcome.logs


def test_a_job_still_reaches_the_products_own_influxdb():
    outcome = run("reach", url=f"{InfluxSettings().url}/ping")

    assert outcome.error is None, outcome.error


def test_the_simulator_check_names_an_asset_whose_supply_and_return_look_swapped():
    """The simulator's matrix is singular then (test_buffer's storage, from its own tests)."""
    system = energy_system(samples.base().encode())
    producer = next(a for a in system.eAllContents() if isinstance(a, esdl.GenericProducer))
    inport, outport = producer.port
    inport.carrier, outport.carrier = outport.carrier, inport.carrier

    [problem] = check_model(describe(simulator), system)

    assert problem.asset_name == "GenericProducer_0001"
    assert problem.problem == (
        "its InPort is on carrier HeatSupply (80 °C) and its OutPort on HeatReturn (40 °C), but "
        "a producer gives heat out hotter than it takes it in: supply and return look swapped"
    )
