"""A request parses its ESDL once: upload, job preparation and a changed copy each build one
document. Counted at pyesdl's loader, the third-party function every parse goes through."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from esdl.esdl_handler import EnergySystemHandler

from apps.models.models import EsdlModel, Project
from apps.models.services import esdl_for_job
from apps.models.variations import AttributeChange, copy_as_variation
from tests.conftest import bind_profiles
from tests.corpus import corpus_bytes, corpus_path
from tests.models.test_upload_api import upload

PRODUCER_ID = "cf3d4b5e-437f-4c1b-a7f9-7fd7e8a269b4"  # test1.esdl's GenericProducer, 5 MW


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per call of pyesdl's ``EnergySystemHandler.load_from_string`` from now on."""
    calls: list[int] = []
    load_from_string = EnergySystemHandler.load_from_string

    def counted(handler: EnergySystemHandler, text: str):
        calls.append(len(text))
        return load_from_string(handler, text)

    monkeypatch.setattr(EnergySystemHandler, "load_from_string", counted)
    return calls


@pytest.mark.django_db
def test_an_upload_with_input_profiles_parses_the_esdl_once(api, project, parses):
    response = upload(api, project, "2sources", corpus_bytes("2sources.esdl"))

    assert response.status_code == 201, response.content
    assert response.json()["profiles_total"] == len(response.json()["summary"]["input_profiles"])
    assert len(parses) == 1


@pytest.mark.django_db
def test_preparing_a_job_esdl_with_pipe_sizes_and_profiles_parses_it_once(api, project, parses):
    call_command("load_pipe_catalogue")
    stem = "cluster1merged_pipes"  # DN-only pipes and input profiles: both rewrites
    response = upload(api, project, stem, corpus_bytes(f"{stem}.esdl"))
    esdl_model = EsdlModel.objects.get(pk=response.json()["id"])
    bind_profiles(esdl_model.pk)
    esdl_model.refresh_from_db()
    parses.clear()

    text = esdl_for_job(esdl_model)

    assert 'innerDiameter="0.2101"' in text and esdl_model.profile_bindings.exists()
    assert len(parses) == 1


@pytest.mark.django_db
def test_a_copy_with_a_change_parses_the_esdl_once(owner, parses):
    project = Project.objects.create(owner=owner, name="District")
    base = EsdlModel.objects.create(
        project=project,
        name="Base",
        esdl=corpus_path("test1.esdl").read_text("utf-8"),
        size_bytes=0,
    )

    variation = copy_as_variation(base, "Bigger", [AttributeChange(PRODUCER_ID, "power", 7.5e6)])

    assert 'power="7500000.0"' in variation.esdl
    assert len(parses) == 1
