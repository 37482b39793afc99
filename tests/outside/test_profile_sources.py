"""The profiles an ESDL names on an outside InfluxDB are copied into our store when the server is
on the operator's list and answers well; otherwise the standard profile stands in and the
model's page says why, per asset. The "outside" server is a second database on this machine's
InfluxDB, or a small HTTP server on loopback for answers InfluxDB would not give."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from apps.models.esdl_document import EsdlDocument
from apps.models.models import EsdlModel
from apps.outside.models import FetchedProfile, StandIn
from apps.profiles.binding import bind_next_model
from apps.profiles.models import InputProfile
from apps.profiles.services import replace_binding_with_csv
from apps.results.influx import influx_client
from tests.conftest import free_port
from tests.models.test_upload_api import upload
from tests.outside.conftest import (
    MEASUREMENT,
    OUTSIDE_DB,
    answer,
    endless,
    influx_year,
    outside_network,
    redirect,
    slow,
    trickle,
    value_at,
)

LOOPBACK_INFLUX = {"name": "outside-influx", "url": "http://127.0.0.1:8086", "allow_private": True}


def bound(api, project, content: bytes) -> EsdlModel:
    """Upload ``content`` and let the binder bind it, as its loop does."""
    response = upload(api, project, "outside", content)
    assert response.status_code == 201, response.content
    while bind_next_model():
        pass
    esdl_model = EsdlModel.objects.get(pk=response.json()["id"])
    assert esdl_model.profiles_status == "ready", esdl_model.profiles_error
    return esdl_model


def reasons(esdl_model: EsdlModel) -> set[str]:
    return set(
        StandIn.objects.filter(binding__esdl_model=esdl_model).values_list("reason", flat=True)
    )


def stored_points(profile: InputProfile) -> list[tuple[int, float]]:
    from django.conf import settings

    return list(
        influx_client().select_series(
            settings.INFLUX_PROFILES_DATABASE, profile.measurement, InputProfile.FIELD, {}
        )
    )


@pytest.mark.django_db
def test_profiles_on_a_listed_server_are_copied_in_w_with_its_credentials(
    api, project, client, owner, outside_influx, allow, reader_env
):
    allow({**LOOPBACK_INFLUX, **reader_env})

    esdl_model = bound(api, project, outside_network())

    assert not reasons(esdl_model)
    references = {r.id: r for r in EsdlDocument(esdl_model.esdl).profile_references()}
    for binding in esdl_model.profile_bindings.select_related("profile__fetched"):
        reference = references[binding.esdl_profile_id]
        profile = binding.profile
        assert profile.source == InputProfile.Source.OUTSIDE
        assert (profile.start, profile.end, profile.points) == (
            reference.start,
            reference.end,
            8760,
        )
        fetched = profile.fetched
        assert fetched.url == "http://127.0.0.1:8086" and fetched.checksum.startswith("sha256:")
        points = stored_points(profile)
        assert len(points) == 8760
        # MW times the ESDL's multiplier, in W, hour by hour
        for hour in (0, 13, 8759):
            expected = value_at(hour, reference.field) * 1e6 * reference.multiplier
            assert points[hour][1] == pytest.approx(expected, rel=1e-9)
    client.force_login(owner)
    page = client.get(f"/models/{esdl_model.pk}/").content.decode()
    assert page.count("Copied from http://127.0.0.1:8086 database") == 3
    assert "Standard profile used" not in page


@pytest.mark.django_db
def test_a_server_without_authentication_is_read_without_credentials(
    api, project, fake_server, allow
):
    fake_server.routes["/query"] = influx_year
    allow({"name": "open", "url": fake_server.url, "allow_private": True})

    esdl_model = bound(api, project, outside_network("127.0.0.1", fake_server.port))

    assert not reasons(esdl_model)
    assert set(esdl_model.profile_bindings.values_list("profile__source", flat=True)) == {"outside"}
    assert len(fake_server.requests) >= 3 and set(fake_server.authorizations) == {None}
    query = parse_qs(urlsplit(fake_server.requests[0]).query)
    assert query["db"] == [OUTSIDE_DB] and query["epoch"] == ["s"]
    assert query["q"][0].startswith('SELECT "demand') and query["q"][0].endswith(
        "WHERE time >= '2019-01-01T00:00:00Z' AND time <= '2019-12-31T23:00:00Z' LIMIT 43921"
    )


@pytest.mark.django_db
def test_an_https_server_is_reached_at_its_checked_address_with_its_certificate_verified(
    api, project, tls_server, certificates, allow
):
    tls_server.routes["/query"] = influx_year
    listed = {"name": "tls", "url": f"https://localhost:{tls_server.port}", "allow_private": True}
    allow({**listed, "ca_file": certificates["ca"]})

    esdl_model = bound(api, project, outside_network("https://localhost", tls_server.port))

    assert not reasons(esdl_model)
    assert set(esdl_model.profile_bindings.values_list("profile__source", flat=True)) == {"outside"}


@pytest.mark.django_db
def test_an_https_server_whose_certificate_we_cannot_verify_is_not_read(
    api, project, tls_server, allow
):
    tls_server.routes["/query"] = influx_year
    allow({"name": "tls", "url": f"https://localhost:{tls_server.port}", "allow_private": True})

    esdl_model = bound(api, project, outside_network("https://localhost", tls_server.port))

    (reason,) = reasons(esdl_model)
    assert reason.startswith(f"source unreachable: https://localhost:{tls_server.port} could not")
    assert "CERTIFICATE_VERIFY_FAILED" in reason or "certificate verify failed" in reason
    assert tls_server.requests == []


@pytest.mark.django_db
def test_assets_sharing_a_series_read_it_once_each_with_its_own_multiplier(
    api, project, fake_server, allow
):
    fake_server.routes["/query"] = influx_year
    allow({"name": "open", "url": fake_server.url, "allow_private": True})

    esdl_model = bound(
        api, project, outside_network("127.0.0.1", fake_server.port, field="demand1_MW")
    )

    assert len(fake_server.requests) == 1
    multipliers = {r.id: r.multiplier for r in EsdlDocument(esdl_model.esdl).profile_references()}
    assert len(set(multipliers.values())) == 3
    for binding in esdl_model.profile_bindings.select_related("profile"):
        first = stored_points(binding.profile)[0][1]
        expected = value_at(0, "demand1_MW") * 1e6 * multipliers[binding.esdl_profile_id]
        assert first == pytest.approx(expected, rel=1e-9)


@pytest.mark.django_db
def test_a_copy_is_reused_for_the_same_series_and_period_without_asking_again(
    api, project, fake_server, outside_influx, allow, reader_env
):
    allow({**LOOPBACK_INFLUX, **reader_env})
    first = bound(api, project, outside_network())
    allow(
        {**LOOPBACK_INFLUX, **reader_env},
        {"name": "elsewhere", "url": fake_server.url, "allow_private": True},
    )

    second = bound(api, project, outside_network())

    def profiles(m):
        return set(m.profile_bindings.values_list("profile_id", flat=True))

    assert profiles(first) == profiles(second)
    assert FetchedProfile.objects.count() == 3


@pytest.mark.django_db
def test_a_listed_server_that_wants_credentials_we_lack_is_refused_and_the_standard_stands_in(
    api, project, client, owner, outside_influx, allow
):
    allow(LOOPBACK_INFLUX)  # InfluxDB has authentication on

    esdl_model = bound(api, project, outside_network())

    assert reasons(esdl_model) == {
        "source refused: http://127.0.0.1:8086 refused our credentials (401)"
    }
    assert set(esdl_model.profile_bindings.values_list("profile__source", flat=True)) == {"bdew"}
    client.force_login(owner)
    page = client.get(f"/models/{esdl_model.pk}/").content.decode()
    assert page.count("Standard profile used: source refused: http://127.0.0.1:8086 refused") == 3
    assert "3 input profiles could not be fetched" in page


@pytest.mark.django_db
def test_credentials_named_but_not_in_the_environment_are_refused(
    api, project, outside_influx, allow
):
    allow({**LOOPBACK_INFLUX, "username_env": "TEST_OUTSIDE_NOBODY_SET_THIS"})

    esdl_model = bound(api, project, outside_network())

    assert reasons(esdl_model) == {
        "source refused: the credentials of outside-influx are not set (environment variable "
        "TEST_OUTSIDE_NOBODY_SET_THIS)"
    }


@pytest.mark.django_db
def test_a_server_not_on_the_list_is_not_asked(api, project, fake_server, allow):
    allow({"name": "other", "url": "https://profiles.example.org", "allow_private": False})

    esdl_model = bound(api, project, outside_network("127.0.0.1", fake_server.port))

    assert reasons(esdl_model) == {
        f"source not allowed: 127.0.0.1:{fake_server.port} is not on the operator's list of "
        "outside servers (DT_OUTSIDE_SERVERS)"
    }
    assert fake_server.requests == []


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_listed_server_on_a_loopback_address_is_refused_unless_the_operator_allows_it(
    api, project, fake_server, allow, host
):
    allow({"name": "local", "url": f"http://{host}:{fake_server.port}"})

    esdl_model = bound(api, project, outside_network(host, fake_server.port))

    (reason,) = reasons(esdl_model)
    assert reason.startswith(f"source refused: {host} resolves to ")
    assert reason.endswith(
        "a private or local address, which the operator did not allow for this server"
    )
    assert fake_server.requests == []


@pytest.mark.django_db
def test_a_series_over_another_period_is_refused_as_the_wrong_period(
    api, project, outside_influx, allow, reader_env
):
    allow({**LOOPBACK_INFLUX, **reader_env})

    esdl_model = bound(api, project, outside_network(field="january_MW"))

    assert reasons(esdl_model) == {
        f"source refused: wrong period: http://127.0.0.1:8086 has {MEASUREMENT} / january_MW in "
        f"database {outside_influx} from 2019-01-01 00:00 to 2019-01-31 23:00 UTC, the ESDL "
        "names 2019-01-01 00:00 to 2019-12-31 23:00 UTC"
    }


@pytest.mark.django_db
def test_a_server_that_is_down_is_tried_again_then_the_standard_stands_in_for_all_its_profiles(
    api, project, allow
):
    port = free_port()  # nothing listens there
    allow({"name": "down", "url": f"http://127.0.0.1:{port}", "allow_private": True})
    began = time.monotonic()

    esdl_model = bound(api, project, outside_network("127.0.0.1", port))

    (reason,) = reasons(esdl_model)
    assert reason.startswith(f"source unreachable: http://127.0.0.1:{port} could not be read")
    assert reason.endswith("(2 tries)")
    assert StandIn.objects.count() == 3
    assert time.monotonic() - began < 30  # one server asked once per round, not per profile


@pytest.mark.django_db
def test_a_profile_filtered_on_tags_is_not_copied(api, project, fake_server, allow):
    allow({"name": "open", "url": fake_server.url, "allow_private": True})
    content = outside_network("127.0.0.1", fake_server.port).replace(
        b'filters=""', b"filters=\"building='A'\""
    )

    esdl_model = bound(api, project, content)

    assert reasons(esdl_model) == {
        "source not used: its tag filters (building='A') are not supported"
    }
    assert fake_server.requests == []


@pytest.mark.django_db
def test_a_slow_server_times_out(api, project, fake_server, allow):
    fake_server.routes["/query"] = slow(6, answer(b'{"results":[{}]}'))
    allow({"name": "slow", "url": fake_server.url, "allow_private": True})

    esdl_model = bound(api, project, outside_network("127.0.0.1", fake_server.port))

    assert reasons(esdl_model) == {
        f"source unreachable: {fake_server.url} could not be read: timed out (2 tries)"
    }


@pytest.mark.django_db
def test_an_endless_answer_is_cut_off_at_the_byte_limit(api, project, fake_server, allow, settings):
    fake_server.routes["/query"] = endless
    allow({"name": "huge", "url": fake_server.url, "allow_private": True})
    settings.OUTSIDE_MAX_BYTES = 1024 * 1024

    esdl_model = bound(api, project, outside_network("127.0.0.1", fake_server.port))

    assert reasons(esdl_model) == {
        f"source refused: {fake_server.url} answered with more than 1,048,576 bytes "
        "(DT_OUTSIDE_MAX_BYTES)"
    }


@pytest.mark.django_db
def test_an_answer_trickling_for_ever_is_cut_off_at_the_deadline(
    api, project, fake_server, allow, settings
):
    fake_server.routes["/query"] = trickle
    allow({"name": "trickle", "url": fake_server.url, "allow_private": True})
    settings.OUTSIDE_DEADLINE_S = 3.0
    began = time.monotonic()

    esdl_model = bound(api, project, outside_network("127.0.0.1", fake_server.port))

    assert reasons(esdl_model) == {
        f"source refused: {fake_server.url} did not finish its answer within 3 s"
    }
    assert time.monotonic() - began < 3 * 3 + 10  # each of the three within its deadline


@pytest.mark.django_db
def test_a_redirect_is_refused_not_followed(api, project, fake_server, allow):
    fake_server.routes["/query"] = redirect("http://169.254.169.254/latest/meta-data/")
    allow({"name": "redirecting", "url": fake_server.url, "allow_private": True})

    esdl_model = bound(api, project, outside_network("127.0.0.1", fake_server.port))

    assert reasons(esdl_model) == {
        f"source refused: {fake_server.url} answered with a redirect to "
        "http://169.254.169.254/latest/meta-data/; redirects are not followed"
    }
    assert len(fake_server.requests) == 3  # one per profile; none to the redirect's target


@pytest.mark.django_db
def test_an_answer_that_is_not_query_results_is_refused(api, project, fake_server, allow):
    fake_server.routes["/query"] = answer(b"<html>hello</html>")
    allow({"name": "odd", "url": fake_server.url, "allow_private": True})

    esdl_model = bound(api, project, outside_network("127.0.0.1", fake_server.port))

    assert reasons(esdl_model) == {
        f"source refused: {fake_server.url} did not answer with InfluxDB query results"
    }


@pytest.mark.django_db
def test_a_user_fetches_again_once_the_server_is_listed(
    api,
    project,
    client,
    owner,
    outside_influx,
    allow,
    reader_env,
    django_capture_on_commit_callbacks,
):
    esdl_model = bound(api, project, outside_network())  # nothing listed yet
    assert len(reasons(esdl_model)) == 1 and StandIn.objects.count() == 3
    standard = set(esdl_model.profile_bindings.values_list("profile_id", flat=True))
    allow({**LOOPBACK_INFLUX, **reader_env})

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/models/{esdl_model.pk}/retry-outside/")

    assert response.status_code == 202, response.content
    assert response.json() == {"refetching": 3}
    assert api.get(f"/api/models/{esdl_model.pk}/").json()["profiles_status"] == "pending"
    assert api.post(f"/api/models/{esdl_model.pk}/retry-outside/").status_code == 409
    while bind_next_model():
        pass
    esdl_model.refresh_from_db()
    assert esdl_model.profiles_status == "ready"
    assert not reasons(esdl_model)
    assert set(esdl_model.profile_bindings.values_list("profile__source", flat=True)) == {"outside"}
    assert not InputProfile.objects.filter(pk__in=standard).exists()  # the stand-ins are gone
    client.force_login(owner)
    page = client.get(f"/models/{esdl_model.pk}/").content.decode()
    assert "could not be fetched" not in page


@pytest.mark.django_db
def test_a_profile_the_user_replaced_by_csv_is_not_fetched_again(
    api, project, owner, django_capture_on_commit_callbacks
):
    esdl_model = bound(api, project, outside_network())
    binding = esdl_model.profile_bindings.first()
    csv = "timestamp,value_w\n2019-01-01T00:00:00Z,1.0\n2019-01-01T01:00:00Z,2.0\n"
    with django_capture_on_commit_callbacks(execute=True):
        replace_binding_with_csv(binding, owner, csv.encode())

        response = api.post(f"/api/models/{esdl_model.pk}/retry-outside/")

    assert response.json() == {"refetching": 2}
    binding.refresh_from_db()
    assert binding.profile.source == "csv" and not StandIn.objects.filter(binding=binding).exists()


@pytest.mark.django_db
def test_the_owner_fetches_again_with_the_button_on_the_model_page(
    api, project, client, owner, django_capture_on_commit_callbacks
):
    esdl_model = bound(api, project, outside_network())
    client.force_login(owner)
    assert 'id="retry-outside"' in client.get(f"/models/{esdl_model.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/outside/models/{esdl_model.pk}/retry/", follow=True)

    assert response.redirect_chain == [(f"/models/{esdl_model.pk}/", 302)]
    assert "3 input profile(s) will be fetched again." in response.content.decode()
    esdl_model.refresh_from_db()
    assert esdl_model.profiles_status == "pending"


@pytest.mark.django_db
def test_the_retry_button_needs_edit_access(api, project, client, make_user, allow):
    esdl_model = bound(api, project, outside_network())
    client.force_login(make_user())

    response = client.post(f"/outside/models/{esdl_model.pk}/retry/")

    assert response.status_code == 404
    esdl_model.refresh_from_db()
    assert esdl_model.profiles_status == "ready"
