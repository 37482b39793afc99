"""Tests for apps.models.esdl_intake: hostile uploads are refused, real models are understood.

Pure Python: run with ``pytest tests/models/test_esdl_intake.py -p no:django``.
"""

from __future__ import annotations

import builtins
import io
import json
import socket
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from esdl import esdl
from esdl.esdl_handler import EnergySystemHandler

from apps.models import esdl_intake as intake
from apps.models.esdl_intake import EsdlRejected, ProfileTarget

SHARED = Path(__file__).parents[3] / "shared"
ESDL_DIR = SHARED / "esdl"
EDR_PIPES = SHARED / "edr" / "edr_pipes.json"

EXPECTED_COUNTS = {
    "test1": {"GenericProducer": 1, "HeatingDemand": 1, "Pipe": 2},
    "test1_heatloss": {"GenericProducer": 1, "HeatingDemand": 1, "Pipe": 2},
    "test1_prod_profile": {"GenericProducer": 1, "HeatingDemand": 1, "Pipe": 2},
    "Simple_heat_exchange": {"GenericConsumer": 1, "GenericProducer": 1, "HeatExchange": 1},
    "test_2_sources": {"GenericProducer": 2, "HeatingDemand": 1, "Joint": 2, "Pipe": 4},
    "2sources": {"GenericProducer": 2, "HeatingDemand": 1, "Joint": 2, "Pipe": 6},
    "test_buffer": {
        "HeatProducer": 1,
        "HeatStorage": 1,
        "HeatingDemand": 1,
        "Joint": 2,
        "Pipe": 6,
    },
    "heat_pump_bypass": {
        "ATES": 1,
        "GenericProducer": 1,
        "HeatPump": 1,
        "HeatingDemand": 1,
        "Joint": 2,
        "Pipe": 8,
    },
    "test_ates": {"ATES": 1, "GenericProducer": 1, "HeatingDemand": 3, "Joint": 6, "Pipe": 14},
    "cluster1merged_pipes": {"GenericProducer": 2, "HeatingDemand": 3, "Joint": 14, "Pipe": 22},
}
# Totals as stated in shared/esdl/README.md (`<asset ` elements per file).
EXPECTED_TOTALS = {
    "test1": 4,
    "test1_heatloss": 4,
    "test1_prod_profile": 4,
    "Simple_heat_exchange": 3,
    "test_2_sources": 9,
    "2sources": 11,
    "test_buffer": 11,
    "heat_pump_bypass": 14,
    "test_ates": 25,
    "cluster1merged_pipes": 41,
}

MINIMAL = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<esdl:EnergySystem xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:esdl="http://www.tno.nl/esdl" id="es1" name="Minimal">\n'
    '  <instance xsi:type="esdl:Instance" id="i1" name="I">\n'
    '    <area xsi:type="esdl:Area" id="a1" name="A">{body}</area>\n'
    "  </instance>\n"
    "</esdl:EnergySystem>\n"
)


def _model(name: str) -> str:
    return (ESDL_DIR / f"{name}.esdl").read_text(encoding="utf-8")


def _minimal(body: str = "", prolog: str = "") -> bytes:
    text = MINIMAL.format(body=body)
    if prolog:
        head, rest = text.split("\n", 1)
        text = f"{head}\n{prolog}\n{rest}"
    return text.encode("utf-8")


@contextmanager
def no_io() -> Iterator[list[str]]:
    """Record (and fail) any file open or outgoing connection inside the block.

    Calls are recorded, not only refused, because the intake turns every exception into
    EsdlRejected: a refused open would otherwise look like a correct rejection.
    """
    intake.check_esdl_upload(_minimal())  # warm up lazy imports before guarding
    calls: list[str] = []

    def guard(kind: str) -> Callable[..., None]:
        def refuse(*args: object, **kwargs: object) -> None:
            calls.append(f"{kind}{args[:2]!r}")
            raise AssertionError(f"unexpected {kind} during ESDL intake: {args[:2]!r}")

        return refuse

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(builtins, "open", guard("open"))
        mp.setattr(io, "open", guard("io.open"))
        mp.setattr(socket.socket, "connect", guard("connect"))
        mp.setattr(socket, "create_connection", guard("create_connection"))
        mp.setattr(urllib.request, "urlopen", guard("urlopen"))
        yield calls


def _refused(data: bytes) -> str:
    with pytest.raises(EsdlRejected) as excinfo:
        intake.check_esdl_upload(data)
    return str(excinfo.value)


# --- real models ---------------------------------------------------------------------------


def test_shared_model_directory_resolves() -> None:
    assert (ESDL_DIR / "test1.esdl").is_file(), f"test models not found in {ESDL_DIR}"


@pytest.mark.parametrize("name", sorted(EXPECTED_TOTALS))
def test_model_has_expected_asset_total_and_counts(name: str) -> None:
    text = intake.check_esdl_upload((ESDL_DIR / f"{name}.esdl").read_bytes())
    summary = intake.summarize_esdl(text)
    assert summary["asset_total"] == EXPECTED_TOTALS[name]
    assert summary["asset_counts"] == EXPECTED_COUNTS[name]
    json.dumps(summary)  # JSON-serialisable


def test_check_returns_decoded_text() -> None:
    data = (ESDL_DIR / "test1.esdl").read_bytes()
    assert intake.check_esdl_upload(data) == data.decode("utf-8")


def test_check_accepts_real_model_without_io() -> None:
    data = _model("cluster1merged_pipes").encode("utf-8")
    with no_io() as calls:
        intake.check_esdl_upload(data)
    assert calls == []


# --- hostile or broken uploads -------------------------------------------------------------


def test_empty_file_is_refused() -> None:
    assert "empty" in _refused(b"")


def test_whitespace_only_file_is_refused() -> None:
    assert "empty" in _refused(b"   \n")


def test_oversized_file_is_refused_before_parsing() -> None:
    with pytest.raises(EsdlRejected, match="limit is"):
        intake.check_esdl_upload(_minimal(), max_bytes=100)


def test_non_utf8_file_is_refused() -> None:
    data = _minimal('<asset xsi:type="esdl:Pipe" id="p1" name="Caf\xe9"/>').decode()
    assert "not UTF-8" in _refused(data.encode("latin-1"))


def test_declared_non_utf8_encoding_is_refused() -> None:
    data = _minimal().replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')
    assert "only UTF-8" in _refused(data)


def test_not_xml_is_refused() -> None:
    assert "Not a well-formed XML file" in _refused(b"name,value\nx,1\n")


def test_truncated_xml_is_refused_with_line() -> None:
    message = _refused(_minimal()[:-30])
    assert "line" in message


def test_other_root_element_is_refused() -> None:
    message = _refused(b'<?xml version="1.0"?><foo><bar/></foo>')
    assert message.startswith("Not an ESDL file: root element is <foo>")


def test_entity_expansion_dtd_is_refused() -> None:
    lol = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
        ' <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
        ' <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">\n]>\n'
        '<esdl:EnergySystem xmlns:esdl="http://www.tno.nl/esdl" name="&lol2;"/>\n'
    )
    with no_io() as calls:
        assert "DTD/entities" in _refused(lol.encode())
    assert calls == []


def test_external_entity_is_refused_without_reading_the_file() -> None:
    xxe = (
        '<?xml version="1.0"?>\n<!DOCTYPE es [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        '<esdl:EnergySystem xmlns:esdl="http://www.tno.nl/esdl" name="&xxe;"/>\n'
    )
    with no_io() as calls:
        assert "DTD/entities" in _refused(xxe.encode())
    assert calls == []


def _with_href(href: str) -> bytes:
    return (
        _model("test1")
        .replace(
            '<profileQuantityAndUnit xsi:type="esdl:QuantityAndUnitReference" '
            'reference="e9405fc8-5e57-4df5-8584-4babee7cdf1b"/>',
            f'<profileQuantityAndUnit href="{href}"/>',
            1,
        )
        .encode("utf-8")
    )


def test_href_to_local_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    # pyesdl alone opens this valid ESDL while loading and splices it into the model
    other = tmp_path / "other.esdl"
    other.write_text(_model("test1"), encoding="utf-8")
    data = _with_href(f"{other}#//")
    with no_io() as calls:
        assert "refers to another document" in _refused(data)
    assert calls == []


def test_href_file_uri_is_refused_without_reading() -> None:
    data = _with_href("file:///etc/passwd#//x")
    with no_io() as calls:
        assert "refers to another document" in _refused(data)
    assert calls == []


def test_href_http_uri_is_refused_without_connecting() -> None:
    data = _with_href("http://example.org/e.esdl#//x")
    with no_io() as calls:
        assert "refers to another document" in _refused(data)
    assert calls == []


def test_reference_attribute_into_other_document_is_refused() -> None:
    data = _model("test1").replace('carrier="', 'carrier="http://example.org/x.esdl#', 1)
    with no_io() as calls:
        assert "refers to another document" in _refused(data.encode("utf-8"))
    assert calls == []


def test_same_document_href_fragment_is_allowed() -> None:
    # the global unit of the model, referred to as an in-file fragment
    data = _with_href("#e9405fc8-5e57-4df5-8584-4babee7cdf1b")
    with no_io() as calls:
        intake.check_esdl_upload(data)
    assert calls == []


def test_schema_location_is_refused() -> None:
    data = _minimal().replace(
        b'name="Minimal"',
        b'name="Minimal" xsi:schemaLocation="http://www.tno.nl/esdl http://example.org/x.ecore"',
    )
    assert "schemaLocation" in _refused(data)


def test_processing_instruction_is_refused() -> None:
    data = _minimal(prolog='<?xml-stylesheet href="http://example.org/x.xsl"?>')
    assert "processing instruction" in _refused(data)


def test_xinclude_is_refused() -> None:
    body = '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd"/>'
    assert "XInclude" in _refused(_minimal(body))


def test_too_deep_nesting_is_refused() -> None:
    depth = intake.MAX_DEPTH + 5
    body = "<area>" * depth + "</area>" * depth
    assert "nested more than" in _refused(_minimal(body))


def test_too_many_elements_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intake, "MAX_ELEMENTS", 20)
    assert "more than 20 elements" in _refused(_model("test1").encode("utf-8"))


def test_unknown_esdl_feature_is_refused_with_line() -> None:
    message = _refused(_minimal("<bogus/>"))
    assert message.startswith("The ESDL could not be read") and "bogus" in message


# --- summary and profiles ------------------------------------------------------------------


def test_summary_lists_profiles_and_period() -> None:
    summary = intake.summarize_esdl(_model("test_ates"))
    profiles = summary["input_profiles"]
    assert len(profiles) == 4
    first = profiles[0]
    assert first["database"] == "energy_profiles"
    assert first["asset_id"] and first["port_id"] and first["unit"] == "MW"
    assert summary["profile_period"] == {
        "start": "2018-12-31T23:00:00+00:00",
        "end": "2019-12-31T22:00:00+00:00",
    }


def test_summary_lists_heat_carriers_with_temperatures() -> None:
    carriers = intake.summarize_esdl(_model("cluster1merged_pipes"))["carriers"]
    assert {c["id"]: (c["supply_temperature"], c["return_temperature"]) for c in carriers} == {
        "Supply_carrier": (70.0, None),
        "Return_carrier": (None, 40.0),
    }


def test_naive_profile_dates_are_read_as_utc() -> None:
    refs = intake.profile_references(_model("cluster1merged_pipes"))
    assert refs and all(r.start is not None and r.start.tzinfo is not None for r in refs)
    assert refs[0].start == datetime(2019, 1, 1, 1, tzinfo=UTC)


def test_rewrite_profiles_points_at_new_store_in_watt() -> None:
    text = _model("cluster1merged_pipes")
    refs = intake.profile_references(text)
    cet = timezone(timedelta(hours=1))
    target = ProfileTarget(
        host="influxdb",
        port=8086,
        database="dtk_profiles",
        measurement="input",
        field="De Kamp (W)",
        start=datetime(2019, 1, 1, 0, 0),  # naive: UTC
        end=datetime(2019, 12, 31, 23, 0, tzinfo=cet),
    )
    out = intake.rewrite_profiles(text, {r.id: target for r in refs})

    energy_system = EnergySystemHandler().load_from_string(out)
    profiles = [o for o in energy_system.eAllContents() if isinstance(o, esdl.InfluxDBProfile)]
    assert len(profiles) == len(refs)
    for profile in profiles:
        assert (profile.host, profile.port, profile.database) == ("influxdb", 8086, "dtk_profiles")
        assert profile.startDate == datetime(2019, 1, 1, tzinfo=UTC)
        assert profile.endDate == datetime(2019, 12, 31, 22, tzinfo=UTC)
        assert profile.startDate.tzinfo is not None
        assert profile.multiplier == 1.0
        qau = profile.profileQuantityAndUnit
        assert (qau.physicalQuantity.name, qau.unit.name, qau.multiplier.name) == (
            "POWER",
            "WATT",
            "NONE",
        )


def test_rewrite_profiles_refuses_unknown_profile_id() -> None:
    target = ProfileTarget("h", 1, "d", "m", "f", datetime(2019, 1, 1), datetime(2019, 1, 2))
    with pytest.raises(EsdlRejected, match="no-such-profile"):
        intake.rewrite_profiles(_model("test1"), {"no-such-profile": target})


# --- pipe catalogue ------------------------------------------------------------------------


def test_shipped_catalogue_matches_edr_extract() -> None:
    from_edr = intake.load_catalogue_file(EDR_PIPES)
    shipped = intake.load_catalogue_file(intake.DEFAULT_CATALOGUE_PATH)
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
    assert intake.unresolved_pipe_sizes(_model("cluster1merged_pipes")) == ["Steel-S1-DN-200"]


def test_resolve_pipe_sizes_fills_all_dn200_pipes_and_leaves_no_edr_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = intake.resolve_pipe_sizes(_model("cluster1merged_pipes"))

    assert intake.unresolved_pipe_sizes(out) == []
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
    text = _model("cluster1merged_pipes").replace(
        'diameter="DN200">',
        'diameter="DN200" related="/edr/Public/Assets/Logstor/Steel-S2-DN-250.edd">',
        1,
    )
    catalogue = {s.name: s for s in intake.load_edr_pipes(EDR_PIPES.read_text("utf-8"))}
    with no_io() as calls:
        intake.check_esdl_upload(text.encode("utf-8"))
        assert intake.unresolved_pipe_sizes(text) == ["Steel-S1-DN-200", "Steel-S2-DN-250"]
        out = intake.resolve_pipe_sizes(text, catalogue)
    assert calls == []
    assert "/edr/" not in out and "related=" not in out
    assert 'innerDiameter="0.263"' in out


def test_unknown_pipe_size_is_refused_naming_the_size() -> None:
    text = _model("cluster1merged_pipes").replace('diameter="DN200"', 'diameter="DN6"', 1)
    with pytest.raises(EsdlRejected, match=r"DN6 \(Steel-S1-DN-6\)"):
        intake.resolve_pipe_sizes(text)
