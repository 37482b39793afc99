"""Tests for apps.models.pipe_catalogue: the shipped catalogue and completing DN-only pipes.

Pure Python: run with ``pytest tests/models/test_pipe_catalogue.py -p no:django``.
"""

from __future__ import annotations

import pytest
from esdl import esdl
from esdl.esdl_handler import EnergySystemHandler

from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_intake import EsdlRejected
from apps.models.pipe_catalogue import DEFAULT_CATALOGUE_PATH, load_catalogue_file, load_edr_pipes
from tests.corpus import edr_pipes_path
from tests.models.esdl_samples import model_text, no_io


def test_shipped_catalogue_matches_edr_extract() -> None:
    from_edr = load_catalogue_file(edr_pipes_path())
    shipped = load_catalogue_file(DEFAULT_CATALOGUE_PATH)
    assert shipped == from_edr
    dn200 = {s.name: s for s in shipped}["Steel-S1-DN-200"]
    assert (dn200.dn, dn200.series, dn200.inner_diameter_m, dn200.outer_diameter_m) == (
        200,
        "S1",
        0.2101,
        0.315,
    )
    assert [layer.material for layer in dn200.layers] == ["steel", "PUR", "HDPE"]


def test_cluster_model_names_only_dn200() -> None:
    document = EsdlDocument(model_text("cluster1merged_pipes"))
    assert document.unresolved_pipe_sizes() == ["Steel-S1-DN-200"]


def test_resolve_pipe_sizes_fills_all_dn200_pipes_and_leaves_no_edr_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = EsdlDocument(model_text("cluster1merged_pipes"))
    document.resolve_pipe_sizes()
    out = document.to_text()

    assert document.unresolved_pipe_sizes() == []
    assert EsdlDocument(out).unresolved_pipe_sizes() == []
    assert "/edr/" not in out
    energy_system = EnergySystemHandler().load_from_string(out)
    pipes = [o for o in energy_system.eAllContents() if isinstance(o, esdl.Pipe)]
    assert len(pipes) == 22
    for pipe in pipes:
        assert (pipe.innerDiameter, pipe.outerDiameter) == (0.2101, 0.315)
        assert pipe.material.compoundType.name == "LAYERED"
        assert [c.matter.name for c in pipe.material.component] == ["steel", "PUR", "HDPE"]

    # the simulator's pipe mapper must not reach for the Energy Data Repository
    from omotes_simulator_core.adapter.transforms.esdl_asset_mappers import pipe_mapper
    from omotes_simulator_core.entities.assets.esdl_asset_object import EsdlAssetObject

    def no_edr() -> None:
        raise AssertionError("simulator tried to fetch from the EDR")

    monkeypatch.setattr(pipe_mapper, "EDRClient", no_edr)
    for pipe in pipes:
        assert pipe_mapper.EsdlAssetPipeMapper._get_diameter(EsdlAssetObject(pipe)) == 0.2101


def test_related_edr_path_names_the_exact_entry_and_is_removed() -> None:
    text = model_text("cluster1merged_pipes").replace(
        'diameter="DN200">',
        'diameter="DN200" related="/edr/Public/Assets/Logstor/Steel-S2-DN-250.edd">',
        1,
    )
    catalogue = {s.name: s for s in load_edr_pipes(edr_pipes_path().read_text("utf-8"))}
    with no_io() as calls:
        document = EsdlDocument.from_upload(text.encode("utf-8"))
        assert document.unresolved_pipe_sizes() == ["Steel-S1-DN-200", "Steel-S2-DN-250"]
        document.resolve_pipe_sizes(catalogue)
        out = document.to_text()
    assert calls == []
    assert "/edr/" not in out and "related=" not in out
    assert 'innerDiameter="0.263"' in out


def test_a_changed_model_keeps_its_edr_paths_in_its_text() -> None:
    text = model_text("cluster1merged_pipes").replace(
        'diameter="DN200">',
        'diameter="DN200" related="/edr/Public/Assets/Logstor/Steel-S2-DN-250.edd">',
        1,
    )
    document = EsdlDocument(text)
    producer = next(a for a in document.assets() if isinstance(a, esdl.GenericProducer))
    document.set_number(producer.id, "power", 1e6)

    again = EsdlDocument(document.to_text())

    assert again.unresolved_pipe_sizes() == ["Steel-S1-DN-200", "Steel-S2-DN-250"]


def test_unknown_pipe_size_is_refused_naming_the_size() -> None:
    text = model_text("cluster1merged_pipes").replace('diameter="DN200"', 'diameter="DN6"', 1)
    with pytest.raises(EsdlRejected, match=r"DN6 \(Steel-S1-DN-6\)"):
        EsdlDocument(text).resolve_pipe_sizes()
