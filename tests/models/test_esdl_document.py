"""Tests for apps.models.esdl_document: summaries of real models, input profiles and rewrites.

Pure Python: run with ``pytest tests/models/test_esdl_document.py -p no:django``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from esdl import esdl
from esdl.esdl_handler import EnergySystemHandler

from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_intake import EsdlRejected
from apps.models.esdl_profiles import ProfileTarget
from tests.corpus import corpus_bytes
from tests.models.esdl_samples import EXPECTED_COUNTS, EXPECTED_TOTALS, model_text


@pytest.mark.parametrize("name", sorted(EXPECTED_TOTALS))
def test_model_has_expected_asset_total_and_counts(name: str) -> None:
    summary = EsdlDocument.from_upload(corpus_bytes(f"{name}.esdl")).summary()
    assert summary["asset_total"] == EXPECTED_TOTALS[name]
    assert summary["asset_counts"] == EXPECTED_COUNTS[name]
    json.dumps(summary)  # JSON-serialisable


def test_summary_lists_profiles_and_period() -> None:
    summary = EsdlDocument(model_text("test_ates")).summary()
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
    carriers = EsdlDocument(model_text("cluster1merged_pipes")).summary()["carriers"]
    assert {c["id"]: (c["supply_temperature"], c["return_temperature"]) for c in carriers} == {
        "Supply_carrier": (70.0, None),
        "Return_carrier": (None, 40.0),
    }


def test_naive_profile_dates_are_read_as_utc() -> None:
    refs = EsdlDocument(model_text("cluster1merged_pipes")).profile_references()
    assert refs and all(r.start is not None and r.start.tzinfo is not None for r in refs)
    assert refs[0].start == datetime(2019, 1, 1, 1, tzinfo=UTC)


def test_rewrite_profiles_points_at_new_store_in_watt() -> None:
    document = EsdlDocument(model_text("cluster1merged_pipes"))
    refs = document.profile_references()
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
    document.rewrite_profiles({r.id: target for r in refs})
    out = document.to_text()

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
        EsdlDocument(model_text("test1")).rewrite_profiles({"no-such-profile": target})
