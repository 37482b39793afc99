"""Uploading ESDL models through the REST API and the page: summaries, refusals, nothing stored."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.models.models import EsdlModel
from apps.profiles.models import InputProfile
from tests.conftest import bind_profiles
from tests.corpus import corpus_bytes, generated_network
from tests.models.esdl_samples import EXPECTED_TOTALS, network


def upload(api, project: int, name: str, content: bytes):
    return api.post(
        "/api/models/",
        {"project": project, "file": SimpleUploadedFile(f"{name}.esdl", content)},
        format="multipart",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("stem,total", sorted(EXPECTED_TOTALS.items()))
def test_upload_of_each_test_model_reports_its_assets(api, project, stem, total):
    response = upload(api, project, stem, corpus_bytes(f"{stem}.esdl"))

    assert response.status_code == 201, response.content
    summary = response.json()["summary"]
    assert summary["asset_total"] == total
    assert sum(summary["asset_counts"].values()) == total


@pytest.mark.django_db
def test_upload_binds_a_served_profile_to_each_profile_reference(api, project):
    response = upload(api, project, "2sources", corpus_bytes("2sources.esdl"))
    bind_profiles(response.json()["id"])

    esdl_model = EsdlModel.objects.get(pk=response.json()["id"])
    references = response.json()["summary"]["input_profiles"]
    assert references
    assert esdl_model.profile_bindings.count() == len(references)
    assert esdl_model.profiles_done == esdl_model.profiles_total == len(references)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<esdl:EnergySystem xmlns:esdl="http://www.tno.nl/esdl" name="&lol3;"/>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<esdl:EnergySystem xmlns:esdl="http://www.tno.nl/esdl" name="&secret;"/>"""
EXTERNAL_HREF = b"""<?xml version="1.0" encoding="UTF-8"?>
<esdl:EnergySystem xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:esdl="http://www.tno.nl/esdl" id="es1" name="x">
  <instance xsi:type="esdl:Instance" id="i1"><area xsi:type="esdl:Area" id="a1">
    <asset xsi:type="esdl:Pipe" id="p1" name="p"><port xsi:type="esdl:InPort" id="port1"
      carrier="file:///etc/passwd#//carrier"/></asset></area></instance>
</esdl:EnergySystem>"""


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "empty"),
        (b"this is not xml at all", "XML"),
        (b"<?xml version='1.0'?><html><body/></html>", "ESDL"),
        (BILLION_LAUGHS, "DTD"),
        (EXTERNAL_ENTITY, "DTD"),
        (EXTERNAL_HREF, "another document"),
        ("<?xml version='1.0'?><a>é</a>".encode("latin-1"), "not UTF-8"),
    ],
    ids=[
        "empty",
        "not-xml",
        "not-esdl",
        "entity-expansion",
        "external-entity",
        "external-ref",
        "not-utf8",
    ],
)
def test_bad_upload_is_refused_with_a_message_and_nothing_is_stored(api, project, content, message):
    before = (EsdlModel.objects.count(), InputProfile.objects.count())

    response = upload(api, project, "bad", content)

    assert 400 <= response.status_code < 500
    detail = str(response.json())
    assert message.lower() in detail.lower(), detail
    assert (EsdlModel.objects.count(), InputProfile.objects.count()) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "old,new,named",
    [
        ('connectedTo="ps-in"', 'connectedTo="nowhere"', 'GenericProducer "Source" (id source)'),
        ('id="pr" name="Return pipe"', 'id="ps" name="Return pipe"', 'Pipe "Return pipe" (id ps)'),
        ('length="100.0"', 'length="-1.0"', 'Pipe "Supply pipe" (id ps): length -1.0 m'),
        ('power="1000000.0"', 'power="NaN"', 'GenericProducer "Source" (id source): power nan'),
        (
            'carrier="supply" connectedTo="source-out"',
            'carrier="return" connectedTo="source-out"',
            "connected ports must carry the same carrier",
        ),
        ('endDate="2019-01-08', 'endDate="2018-01-08', "must be after startDate"),
        ('startDate="2019', 'startDate="0001', "must be in the years 1900-2100"),
        ('power="500000.0"', 'power="-1.0"', 'HeatingDemand "House" (id house): power -1.0 W'),
    ],
    ids=[
        "dangling-connection",
        "duplicate-id",
        "negative-length",
        "nan",
        "two-carriers",
        "profile-end-before-start",
        "profile-in-year-one",
        "negative-power",
    ],
)
def test_a_model_that_breaks_a_rule_is_refused_with_422_naming_it(api, project, old, new, named):
    text = network()
    assert old in text

    response = upload(api, project, "broken", text.replace(old, new, 1).encode("utf-8"))

    assert response.status_code == 422, response.content
    assert named in response.json()["detail"]
    assert not EsdlModel.objects.exists() and not InputProfile.objects.exists()


@pytest.mark.django_db
def test_upload_page_shows_each_broken_rule_on_the_form(client, owner, project):
    text = network().replace('length="100.0"', 'length="0.0"')  # both pipes
    client.force_login(owner)

    response = client.post(
        f"/projects/{project}/",
        {"file": SimpleUploadedFile("broken.esdl", text.encode("utf-8"))},
    )

    assert response.status_code == 400
    page = response.content.decode()
    for pipe in ("Supply pipe&quot; (id ps)", "Return pipe&quot; (id pr)"):
        assert f"{pipe}: length 0.0 m: must be more than 0 m" in page
    assert not EsdlModel.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_an_upload_in_utf16_or_iso_8859_1_is_stored_with_exact_names(api, project, encoding):
    text = network(name="Caf\xe9 Stra\xdfe", profile="")
    if encoding == "latin-1":
        text = text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"', 1)

    response = upload(api, project, "encoded", text.encode(encoding))

    assert response.status_code == 201, response.content
    assert response.json()["summary"]["name"] == "Caf\xe9 Stra\xdfe"
    assert 'name="Caf\xe9 Stra\xdfe"' in EsdlModel.objects.get().esdl


@pytest.mark.django_db
def test_oversized_upload_is_refused(api, project, settings):
    settings.ESDL_MAX_BYTES = 5_000
    content = generated_network()

    response = upload(api, project, "big", content)

    assert response.status_code == 400
    assert "larger than the limit" in str(response.json())
    assert not EsdlModel.objects.exists()


@pytest.mark.django_db
def test_upload_page_shows_the_refusal_on_the_form(client, owner, project):
    client.force_login(owner)
    response = client.post(
        f"/projects/{project}/",
        {"file": SimpleUploadedFile("bad.esdl", b"<not-esdl/>")},
    )

    assert response.status_code == 400
    assert b"Not an ESDL file" in response.content
    assert not EsdlModel.objects.exists()


@pytest.mark.django_db
def test_stranger_cannot_upload_into_someone_elses_project(project, make_user):
    import base64

    from rest_framework.test import APIClient

    stranger = make_user()
    client = APIClient()
    token = base64.b64encode(f"{stranger.email}:a-long-test-password-42".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")

    response = upload(client, project, "network", generated_network())

    assert response.status_code == 404
    assert not EsdlModel.objects.exists()


@pytest.mark.django_db
def test_anonymous_api_and_pages_need_a_login(client):
    assert client.get("/api/projects/").status_code in (401, 403)
    response = client.get("/projects/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
