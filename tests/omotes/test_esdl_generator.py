"""The ESDL network generator: valid models of exactly the asked size (no services needed)."""

from __future__ import annotations

from collections import Counter

import esdl
import pytest
from esdl.esdl_handler import EnergySystemHandler

from apps.models.esdl_document import EsdlDocument
from omotes.esdl_generator import (
    MIN_ASSETS,
    generate_network,
    main,
    network_text,
    pipe_size,
    plan_network,
)


@pytest.fixture(autouse=True)
def _test_profiles_database() -> None:
    """Overrides the Django-settings fixture of tests/conftest.py: these tests use no Django."""


@pytest.fixture(scope="module")
def network_1000() -> str:
    return network_text(1000)


def _assets(text: str) -> list[esdl.Asset]:
    handler = EnergySystemHandler()
    energy_system = handler.load_from_string(text)
    return [obj for obj in energy_system.eAllContents() if isinstance(obj, esdl.Asset)]


def test_thousand_asset_network_passes_intake_and_summary(network_1000: str) -> None:
    summary = EsdlDocument.from_upload(network_1000.encode("utf-8")).summary()
    assert summary["asset_total"] == 1000
    assert summary["parse_warnings"] == []
    assert summary["unresolved_pipe_sizes"] == []
    assert len(summary["input_profiles"]) == summary["asset_counts"]["HeatingDemand"]
    assert {c["name"] for c in summary["carriers"]} == {"HeatSupply", "HeatReturn"}


def test_thousand_asset_network_has_the_planned_parts(network_1000: str) -> None:
    plan = plan_network(1000)
    counts = Counter(type(a).__name__ for a in _assets(network_1000))
    assert counts["HeatingDemand"] == plan.demands
    assert counts["Pipe"] == plan.pipes
    assert counts["Joint"] == plan.joints
    assert counts["GenericProducer"] + counts["ResidualHeatSource"] == plan.producers >= 1
    assert counts["ResidualHeatSource"] >= 1
    assert sum(counts.values()) == 1000


@pytest.mark.parametrize("assets", [MIN_ASSETS, 7, 10, 11, 12, 15, 16, 17, 99, 250, 1001])
def test_any_size_gives_exactly_that_many_assets(assets: int) -> None:
    assert len(_assets(network_text(assets, profile=None))) == assets


def test_too_small_network_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        plan_network(MIN_ASSETS - 1)


def test_every_port_is_connected_on_the_same_carrier(network_1000: str) -> None:
    for asset in _assets(network_1000):
        kinds = Counter(type(p).__name__ for p in asset.port)
        assert kinds == {"InPort": 1, "OutPort": 1}, asset.name
        for port in asset.port:
            assert port.connectedTo, f"{asset.name}.{port.name} is not connected"
            for other in port.connectedTo:
                assert other.carrier is port.carrier, f"{asset.name}.{port.name}"
                # flow goes out of an OutPort into an InPort
                assert isinstance(other, esdl.InPort) != isinstance(port, esdl.InPort)


def test_pipes_are_sized_paired_and_have_lengths(network_1000: str) -> None:
    pipes = [a for a in _assets(network_1000) if isinstance(a, esdl.Pipe)]
    for pipe in pipes:
        assert pipe.length >= 5.0
        assert 0.01 < pipe.innerDiameter < 1.0
        assert pipe.diameter.name.startswith("DN")
        [partner] = pipe.related
        assert partner.related[0] is pipe
        assert partner.port[0].carrier is not pipe.port[0].carrier  # supply with return
    assert len({p.diameter.name for p in pipes}) > 3  # trunk pipes are larger than service pipes


def test_pipe_size_grows_with_peak_power() -> None:
    assert pipe_size(100e3)[0] == "DN25"  # 0.61 l/s at 40 K: 0.96 m/s in DN25, 1.6 in DN20
    assert pipe_size(100e6)[1] > pipe_size(1e6)[1] > pipe_size(100e3)[1]


def test_same_seed_same_file_other_seed_other_file() -> None:
    assert network_text(30, seed=1) == network_text(30, seed=1)
    assert network_text(30, seed=1) != network_text(30, seed=2)


def test_consumers_have_power_and_an_hourly_profile_in_mw() -> None:
    handler = generate_network(20)
    for demand in handler.get_all_instances_of_type(esdl.HeatingDemand):
        [profile] = demand.port[0].profile
        assert demand.power > 0
        assert profile.multiplier == pytest.approx(demand.power / 1e6)
        assert profile.profileQuantityAndUnit.reference.multiplier == esdl.MultiplierEnum.MEGA
        assert profile.startDate.tzinfo is not None


def test_cli_writes_the_file(tmp_path, capsys) -> None:
    target = tmp_path / "net.esdl"
    assert main(["--assets", "40", "-o", str(target)]) == 0
    assert len(_assets(target.read_text())) == 40
    assert "40 assets" in capsys.readouterr().err
