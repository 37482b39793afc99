"""Pipes an ESDL names only by size come from a configured Energy Data Repository when one is set
(here a small HTTP server on loopback answering as the public EDR's API does), are cached in the
pipe catalogue with source and date and recorded on the job; a slow, malformed, redirecting or
unlisted EDR leaves the local catalogue's entry in place."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.management import call_command

from apps.models.models import EsdlModel, PipeType
from apps.models.services import esdl_for_job
from apps.outside.edr import refresh_pipes_from_edr
from apps.outside.fetch import Limits
from apps.outside.models import FetchedPipe, JobInput
from apps.profiles.binding import bind_next_model
from tests.jobs.test_job_access import announced_workflow  # noqa: F401 - a fixture
from tests.models.esdl_samples import network
from tests.models.test_upload_api import upload
from tests.outside.conftest import answer, redirect, slow
from tests.outside.test_job_inputs import submit

DN200 = "Steel-S1-DN-200"
#: The EDR's Steel-S1-DN-200 with an inner diameter of its own, to tell it from the local entry.
PIPE_ESDL = b"""<?xml version="1.0" encoding="UTF-8"?>
<esdl:Pipe xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:esdl="http://www.tno.nl/esdl"
 id="dcc3ee60" name="Steel-S1-DN-200" innerDiameter="0.2109" outerDiameter="0.315" diameter="DN200">
  <costInformation id="c1">
    <investmentCosts xsi:type="esdl:SingleValue" id="c2" value="1400.5"/>
  </costInformation>
  <material xsi:type="esdl:CompoundMatter" compoundType="LAYERED">
    <component layerWidth="0.0045"><matter xsi:type="esdl:Material" id="m1" name="steel"
      thermalConductivity="52.15"/></component>
    <component layerWidth="0.04385"><matter xsi:type="esdl:Material" id="m2" name="PUR"
      thermalConductivity="0.027"/></component>
    <component layerWidth="0.0041"><matter xsi:type="esdl:Material" id="m3" name="HDPE"
      thermalConductivity="0.4"/></component>
  </material>
</esdl:Pipe>"""


def edr_answer(esdl: bytes = PIPE_ESDL):
    item = {"id": "x", "title": DN200, "esdlType": "Pipe", "esdl": base64.b64encode(esdl).decode()}
    return answer(json.dumps([item]).encode(), headers={"Content-Type": "application/json"})


@pytest.fixture
def edr(fake_server, allow, settings):
    """The loopback EDR, listed and configured; the local catalogue loaded."""
    call_command("load_pipe_catalogue")
    fake_server.routes["/store/edr/query"] = edr_answer()
    allow({"name": "edr", "url": fake_server.url, "allow_private": True})
    settings.EDR_URL = fake_server.url
    return fake_server


def dn_only_network() -> bytes:
    """The small sample network whose supply pipe names only its size (DN200)."""
    text = network(profile="").replace(
        'name="Supply pipe" length="100.0" innerDiameter="0.1"',
        'name="Supply pipe" length="100.0" diameter="DN200"',
    )
    assert 'diameter="DN200"' in text
    return text.encode()


@pytest.mark.django_db
def test_a_size_only_pipe_comes_from_the_edr_is_cached_and_recorded_on_the_job(
    api,
    project,
    edr,
    announced_workflow,  # noqa: F811
):
    response = upload(api, project, "dn-only", dn_only_network())
    assert response.json()["profiles_status"] == "pending"  # the binder asks the EDR
    while bind_next_model():
        pass

    esdl_model = EsdlModel.objects.get(pk=response.json()["id"])
    assert esdl_model.profiles_status == "ready"
    pipe = PipeType.objects.get(name=DN200)
    assert (pipe.inner_diameter_m, pipe.investment_cost_eur_per_m) == (0.2109, 1400.5)
    assert [layer[2] for layer in pipe.layers] == ["steel", "PUR", "HDPE"]
    fetched = FetchedPipe.objects.get(pipe=pipe)
    assert fetched.url == (
        f"{edr.url}/store/edr/query?addESDL=true&path=%2Fedr%2FPublic%2FAssets%2FLogstor%2F"
        "Steel-S1-DN-200.edd"
    )
    assert 'innerDiameter="0.2109"' in esdl_for_job(esdl_model)
    job_id = submit(api, esdl_model.pk)
    (record,) = JobInput.objects.filter(job_id=job_id)
    assert (record.kind, record.esdl_id, record.source) == ("pipe", DN200, fetched.url)
    assert record.checksum == fetched.checksum and record.checksum.startswith("sha256:")
    asked = len(edr.requests)
    upload(api, project, "dn-only again", dn_only_network())
    while bind_next_model():
        pass
    assert len(edr.requests) == asked == 1  # cached in the catalogue


def problems_with(edr) -> dict[str, str]:
    return refresh_pipes_from_edr(
        [DN200], Limits(timeout_s=2, deadline_s=8, retries=1, backoff_s=0.1, max_bytes=1 << 20)
    )


def local_entry_kept() -> bool:
    pipe = PipeType.objects.get(name=DN200)
    return pipe.inner_diameter_m == 0.2101 and not FetchedPipe.objects.exists()


@pytest.mark.django_db
def test_a_slow_edr_times_out_and_the_local_catalogue_answers(edr):
    edr.routes["/store/edr/query"] = slow(6, edr_answer())

    assert problems_with(edr) == {DN200: f"{edr.url} could not be read: timed out (2 tries)"}
    assert local_entry_kept()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body,reason",
    [
        (b"<html>maintenance</html>", "did not answer like an Energy Data Repository"),
        (b'[{"esdl": "not base64!"}]', "did not answer like an Energy Data Repository"),
        (b"[]", "the Energy Data Repository has no /edr/Public/Assets/Logstor/"),
    ],
)
def test_a_malformed_edr_answer_is_refused_and_the_local_catalogue_answers(edr, body, reason):
    edr.routes["/store/edr/query"] = answer(body)

    assert reason in problems_with(edr)[DN200]
    assert local_entry_kept()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "esdl,reason",
    [
        (b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>", "is not a pipe we can read"),
        (b"<esdl:Carrier xmlns:esdl='http://www.tno.nl/esdl'/>", "is not a pipe we can read"),
        (PIPE_ESDL.replace(b'innerDiameter="0.2109"', b'innerDiameter="1e9"'), "no plausible"),
    ],
)
def test_a_pipe_document_that_is_hostile_or_no_pipe_is_refused(edr, esdl, reason):
    edr.routes["/store/edr/query"] = edr_answer(esdl)

    assert reason in problems_with(edr)[DN200]
    assert local_entry_kept()


@pytest.mark.django_db
def test_an_edr_redirecting_to_a_private_address_is_refused(edr):
    edr.routes["/store/edr/query"] = redirect("http://10.0.0.1/store/edr/query")

    assert problems_with(edr) == {
        DN200: f"{edr.url} answered with a redirect to http://10.0.0.1/store/edr/query; "
        "redirects are not followed"
    }
    assert local_entry_kept()


@pytest.mark.django_db
def test_an_edr_not_on_the_list_is_not_asked(edr, allow):
    allow({"name": "other", "url": "https://edr.example.org"})

    assert problems_with(edr) == {
        DN200: f"127.0.0.1:{edr.port} is not on the operator's list of outside servers "
        "(DT_OUTSIDE_SERVERS)"
    }
    assert edr.requests == [] and local_entry_kept()


@pytest.mark.django_db
def test_without_an_edr_a_model_with_size_only_pipes_is_ready_at_once(api, project, settings):
    settings.EDR_URL = ""

    response = upload(api, project, "dn-only", dn_only_network())

    assert response.json()["profiles_status"] == "ready"


@pytest.mark.django_db
def test_a_job_records_a_pipe_from_the_local_catalogue_as_such(
    api,
    project,
    settings,
    announced_workflow,  # noqa: F811
):
    settings.EDR_URL = ""
    call_command("load_pipe_catalogue")
    model = upload(api, project, "dn-only", dn_only_network()).json()

    job_id = submit(api, model["id"])

    (record,) = JobInput.objects.filter(job_id=job_id)
    assert (record.kind, record.esdl_id, record.source) == (
        "pipe",
        DN200,
        "the local pipe catalogue",
    )
    assert record.fetched_at is None and record.checksum == ""
