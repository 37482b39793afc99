"""A request parses its ESDL once: upload, job preparation and a changed copy each build one
document, and the next job of the same model and workflow none while the prepared ESDL's inputs
(bindings, pipe catalogue) are unchanged. Counted at pyesdl's loader, the third-party function
every parse goes through."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from esdl.esdl_handler import EnergySystemHandler

from apps.jobs.job_input import job_esdl
from apps.models.models import EsdlModel, PipeType, Project
from apps.models.services import esdl_for_job
from apps.models.variations import AttributeChange, copy_as_variation
from omotes.workflows import registry
from omotes.workflows.base import describe
from tests.conftest import bind_profiles
from tests.corpus import corpus_bytes, corpus_path
from tests.jobs.builders import make_job
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


@pytest.fixture
def bound_pipes_model(api, project) -> EsdlModel:
    """A model with DN-only pipes (resolved from our catalogue) and bound input profiles."""
    call_command("load_pipe_catalogue")
    stem = "cluster1merged_pipes"
    response = upload(api, project, stem, corpus_bytes(f"{stem}.esdl"))
    bind_profiles(response.json()["id"])
    return EsdlModel.objects.get(pk=response.json()["id"])


@pytest.mark.django_db
def test_the_next_job_of_a_model_and_workflow_is_prepared_without_parsing(
    bound_pipes_model, parses
):
    workflow = describe(registry.load("sleeper"))
    parses.clear()

    first = job_esdl(bound_pipes_model, workflow)
    again = job_esdl(EsdlModel.objects.get(pk=bound_pipes_model.pk), workflow)

    assert 'innerDiameter="0.2101"' in first
    assert again == first
    assert len(parses) == 1


@pytest.mark.django_db
def test_a_changed_catalogue_entry_prepares_the_next_job_from_the_model_again(
    bound_pipes_model, parses
):
    workflow = describe(registry.load("sleeper"))
    job_esdl(bound_pipes_model, workflow)
    PipeType.objects.filter(inner_diameter_m=0.2101).update(inner_diameter_m=0.2102)
    parses.clear()

    text = job_esdl(bound_pipes_model, workflow)

    assert 'innerDiameter="0.2102"' in text and 'innerDiameter="0.2101"' not in text
    assert len(parses) == 1


@pytest.mark.django_db
def test_a_rebound_profile_prepares_the_next_job_from_the_model_again(bound_pipes_model, parses):
    workflow = describe(registry.load("sleeper"))
    first = job_esdl(bound_pipes_model, workflow)
    one, other = bound_pipes_model.profile_bindings.order_by("pk")[:2]
    one.profile, other.profile = other.profile, one.profile
    one.save()
    other.save()
    parses.clear()

    text = job_esdl(bound_pipes_model, workflow)

    assert text != first
    assert len(parses) == 1


def esdl_texts_read(queries: CaptureQueriesContext) -> list[str]:
    """The queries that read a model's or a job's ESDL text (columns a page never shows)."""
    columns = ('"models_esdlmodel"."esdl"', '"jobs_job"."esdl"', '"jobs_job"."output_esdl"')
    return [q["sql"][:120] for q in queries if any(c in q["sql"] for c in columns)]


@pytest.mark.django_db
def test_the_model_and_job_pages_read_no_esdl_text(owner, client):
    job = make_job(owner)
    EsdlModel.objects.filter(pk=job.esdl_model_id).update(
        esdl=corpus_path("test1.esdl").read_text("utf-8")
    )
    client.force_login(owner)
    assert client.get(f"/models/{job.esdl_model_id}/").status_code == 200  # variation form kept

    with CaptureQueriesContext(connection) as model_page:
        assert client.get(f"/models/{job.esdl_model_id}/").status_code == 200
    with CaptureQueriesContext(connection) as job_page:
        assert client.get(f"/jobs/{job.pk}/").status_code == 200

    assert esdl_texts_read(model_page) == [] and esdl_texts_read(job_page) == []
