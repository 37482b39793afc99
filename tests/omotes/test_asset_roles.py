"""Which assets produce heat (omotes.asset_roles), held against the simulator, and the one rule
as the simulator's and the optimiser's checks apply it."""

from __future__ import annotations

import esdl
import pytest
from esdl.esdl_handler import EnergySystemHandler

from omotes.asset_roles import (
    HEAT_CONSUMER_CLASSES,
    HEAT_PRODUCER_CLASSES,
    is_heat_producer,
)
from omotes.preflight import SIMULATOR_ASSET_TYPES, check_model, simulator_inputs
from omotes.workflows import optimizer_check
from omotes.workflows.base import describe
from omotes.workflows.sequence import simulate_and_kpis
from omotes.workflows.simulator import workflow as simulator
from tests.models import field_samples as samples

NO_PRODUCER = "the network has no heat producer; the simulator needs at least one"


def energy_system(text: str):
    return EnergySystemHandler().load_from_string(text)


@pytest.mark.parametrize("kind", sorted(HEAT_PRODUCER_CLASSES))
def test_a_producer_class_produces_heat_whatever_its_ports(kind):
    assert is_heat_producer(kind, 2) and is_heat_producer(kind, 4)


def test_a_heat_pump_produces_heat_only_without_a_primary_side():
    assert is_heat_producer("HeatPump", 2)
    assert is_heat_producer("HeatPump", 3)  # mesido's air-to-water pump with its power port
    assert not is_heat_producer("HeatPump", 4)
    assert not any(is_heat_producer(kind, 2) for kind in HEAT_CONSUMER_CLASSES)
    assert not is_heat_producer("HeatExchange", 2)


def test_the_simulator_drives_a_two_port_heat_pump_as_a_producer_and_four_ports_as_a_conversion():
    """The rule is the simulator's mapper registry: a production cluster or not."""
    from omotes_simulator_core.adapter.transforms.esdl_asset_mapper import EsdlAssetMapper
    from omotes_simulator_core.entities.assets.esdl_asset_object import EsdlAssetObject
    from omotes_simulator_core.entities.assets.production_cluster import ProductionCluster

    for ports in (2, 4):
        system = energy_system(samples.heat_pump_producer(ports))
        [pump] = [a for a in system.eAllContents() if isinstance(a, esdl.HeatPump)]
        mapped = EsdlAssetMapper.to_entity(EsdlAssetObject(pump))
        assert isinstance(mapped, ProductionCluster) == is_heat_producer("HeatPump", ports)


def test_every_producer_class_the_simulator_takes_its_mapper_maps_and_its_controller_drives():
    """The mapper also maps GasHeater as a producer, but the network controller picks its
    producers by ESDL type (the PRODUCER label's types and their subclasses), which a gas heater
    (an ESDL Conversion) is not: it would get no set point. So the simulator takes none."""
    from omotes_simulator_core.adapter.transforms.esdl_asset_mapper import conversion_dict_mappers
    from omotes_simulator_core.adapter.transforms.esdl_asset_mappers.producer_mapper import (
        EsdlAssetProducerMapper,
    )
    from omotes_simulator_core.adapter.transforms.string_to_esdl import (
        OmotesAssetLabels,
        StringEsdlAssetMapper,
    )

    taken = HEAT_PRODUCER_CLASSES & set(SIMULATOR_ASSET_TYPES)
    mapped = {
        k.__name__ for k, m in conversion_dict_mappers.items() if m is EsdlAssetProducerMapper
    }
    driven = tuple(StringEsdlAssetMapper().to_esdl(OmotesAssetLabels.PRODUCER))

    assert mapped - {"GasHeater"} == taken
    concrete = [getattr(esdl, kind) for kind in taken if not getattr(esdl, kind).eClass.abstract]
    assert all(issubclass(kind, driven) for kind in concrete)  # esdl:Producer is abstract
    assert not issubclass(esdl.GasHeater, driven)


def test_the_simulator_check_refuses_a_gas_heater_and_finds_no_producer_beside_it():
    problems = check_model(
        describe(simulator), energy_system(samples.producer_of_class("GasHeater"))
    )

    assert [p.asset_name for p in problems] == ["GenericProducer_0001", ""]
    assert "would supply no heat" in problems[0].problem
    assert "HeatProducer of the same power" in problems[0].problem
    assert problems[1].problem == NO_PRODUCER
    assert "GasHeater" not in problems[1].hint


def test_the_simulator_check_takes_a_two_port_heat_pump_as_the_networks_producer():
    assert simulator_inputs(energy_system(samples.heat_pump_producer(2))) == []


def test_the_simulator_check_refuses_a_network_whose_only_producer_is_a_four_port_heat_pump():
    [problem] = simulator_inputs(energy_system(samples.heat_pump_producer(4)))

    assert problem.problem == NO_PRODUCER
    assert "HeatPump with two ports" in problem.hint
    assert "ElectricBoiler" not in problem.hint  # a producer, but not one the simulator takes


def test_the_simulator_check_names_a_two_port_heat_pump_whose_supply_and_return_look_swapped():
    system = energy_system(samples.heat_pump_producer(2))
    [pump] = [a for a in system.eAllContents() if isinstance(a, esdl.HeatPump)]
    inport, outport = pump.port
    inport.carrier, outport.carrier = outport.carrier, inport.carrier

    [problem] = simulator_inputs(system)

    assert problem.asset_name == "GenericProducer_0001"
    assert "a producer gives heat out hotter than it takes it in" in problem.problem


def test_the_optimiser_check_counts_a_heat_pump_as_a_producer_only_without_a_primary_side():
    assert optimizer_check.check_model(energy_system(samples.heat_pump_producer(2))) == []
    [reason] = optimizer_check.check_model(energy_system(samples.heat_pump_producer(4)))
    assert reason.endswith("1 demand(s) and 0 producer(s).")


def test_simulation_and_kpis_checks_a_model_as_the_simulator_does():
    """The sequence's first step reads the model: its types and its own check apply (the gas
    heater, and a network with no producer the simulator drives)."""
    sequence = describe(simulate_and_kpis)
    system = energy_system(samples.producer_of_class("GasHeater"))

    assert sequence.steps == ("simulator", "kpis")
    assert sequence.supported_asset_types == tuple(sorted(SIMULATOR_ASSET_TYPES))
    problems = check_model(sequence, system)
    alone = check_model(describe(simulator), system)
    assert [p.problem.replace("Simulation and KPIs", "X") for p in problems] == [
        p.problem.replace("Heat network simulation", "X") for p in alone
    ]
    assert "would supply no heat" in problems[0].problem
    assert problems[1].problem == NO_PRODUCER
