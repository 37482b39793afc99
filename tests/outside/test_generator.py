"""When an ESDL's own profile cannot be fetched, a configured heat-profile generator (here a small
HTTP server on loopback) is asked for the demand profile that stands in: type, yearly demand and
period; when it fails or is not configured, the built-in BDEW profile stands in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from apps.models.esdl_document import EsdlDocument
from apps.outside.generator import yearly_demand_wh
from tests.conftest import free_port
from tests.outside.conftest import answer, outside_network
from tests.outside.test_profile_sources import bound, reasons, stored_points


def generator(handler) -> None:
    """A generator that spreads the yearly demand evenly over the hours asked for."""
    query = parse_qs(urlsplit(handler.path).query)
    start = datetime.fromisoformat(query["start"][0])
    end = datetime.fromisoformat(query["end"][0])
    per_hour = float(query["yearly_demand_wh"][0]) / 8760
    hours = int((end - start) / timedelta(hours=1)) + 1
    points = [[int((start + timedelta(hours=h)).timestamp()), per_hour] for h in range(hours)]
    answer(json.dumps({"points": points}).encode())(handler)


@pytest.fixture
def configured(fake_server, allow, settings):
    allow({"name": "hpg", "url": fake_server.url, "allow_private": True})
    settings.PROFILE_GENERATOR_URL = f"{fake_server.url}/profile"
    fake_server.routes["/profile"] = generator
    return fake_server


@pytest.mark.django_db
def test_the_generator_makes_the_profile_that_stands_in(api, project, configured):
    esdl_model = bound(api, project, outside_network())  # profiles on an unlisted server

    assert reasons(esdl_model) == {
        "source not allowed: 127.0.0.1:8086 is not on the operator's list of outside servers "
        "(DT_OUTSIDE_SERVERS)"
    }
    references = EsdlDocument(esdl_model.esdl).profile_references()
    asked = [parse_qs(urlsplit(path).query) for path in configured.requests]
    assert len(asked) == 3
    assert {a["type"][0] for a in asked} == {"EFH"}
    assert {(a["start"][0], a["end"][0]) for a in asked} == {
        ("2019-01-01T00:00:00+00:00", "2019-12-31T23:00:00+00:00")
    }
    assert sorted(float(a["yearly_demand_wh"][0]) for a in asked) == pytest.approx(
        sorted(yearly_demand_wh(r.asset_power_w, 2019) for r in references), rel=1e-9
    )
    for binding in esdl_model.profile_bindings.select_related("profile__fetched"):
        profile = binding.profile
        assert profile.source == "generator"
        assert profile.name == f"EFH from hpg for {binding.asset_name}"
        demand = profile.peak_w * 8760  # spread evenly by this generator
        assert profile.fetched.source == (
            f"hpg ({configured.url}/profile): EFH demand profile, yearly demand {demand:.0f} Wh"
        )
        points = stored_points(profile)
        assert len(points) == 8760
        assert points[0][0] == int(datetime(2019, 1, 1, tzinfo=UTC).timestamp())


@pytest.mark.django_db
def test_a_generator_answering_the_wrong_hours_leaves_the_bdew_profile(api, project, configured):
    configured.routes["/profile"] = answer(json.dumps({"points": [[1546300800, 1.0]]}).encode())

    esdl_model = bound(api, project, outside_network())

    assert set(esdl_model.profile_bindings.values_list("profile__source", flat=True)) == {"bdew"}
    assert len(configured.requests) == 1  # not asked again in the same round


@pytest.mark.django_db
def test_a_generator_that_is_down_leaves_the_bdew_profile(api, project, allow, settings):
    port = free_port()
    allow({"name": "hpg", "url": f"http://127.0.0.1:{port}", "allow_private": True})
    settings.PROFILE_GENERATOR_URL = f"http://127.0.0.1:{port}/profile"

    esdl_model = bound(api, project, outside_network())

    assert set(esdl_model.profile_bindings.values_list("profile__source", flat=True)) == {"bdew"}
    assert len(reasons(esdl_model)) == 1
