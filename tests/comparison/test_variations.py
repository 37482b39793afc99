"""Variations: marking a model as a variation of another, copying one with a change, the page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from esdl.esdl_handler import EnergySystemHandler

from apps.models.models import EsdlModel, Project
from apps.models.services import upload_esdl_model
from apps.sharing.services import share
from tests.corpus import corpus_bytes

pytestmark = pytest.mark.django_db

PRODUCER_ID = "cf3d4b5e-437f-4c1b-a7f9-7fd7e8a269b4"  # test1.esdl's GenericProducer, 5 MW


@pytest.fixture
def base(owner) -> EsdlModel:
    project = Project.objects.create(owner=owner, name="District")
    return upload_esdl_model(project, "Base", corpus_bytes("test1.esdl"))


def other_model(project: Project, name: str) -> EsdlModel:
    return EsdlModel.objects.create(project=project, name=name, esdl="", size_bytes=0)


def test_owner_marks_a_model_as_a_variation_from_the_model_page(client, owner, base):
    variant = other_model(base.project, "Variant")
    client.force_login(owner)

    page = client.get(f"/models/{variant.pk}/").content.decode()
    response = client.post(f"/models/{variant.pk}/variation-of/", {"variation_of": base.pk})

    assert 'id="mark-variation-form"' in page and f'value="{base.pk}"' in page
    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.variation_of == base
    client.post(f"/models/{variant.pk}/variation-of/", {"variation_of": ""})
    variant.refresh_from_db()
    assert variant.variation_of is None


def test_a_cycle_or_a_model_of_another_project_is_refused(client, owner, base):
    variant = other_model(base.project, "Variant")
    variant.variation_of = base
    variant.save()
    elsewhere = other_model(Project.objects.create(owner=owner, name="Other"), "Elsewhere")
    client.force_login(owner)

    client.post(f"/models/{base.pk}/variation-of/", {"variation_of": variant.pk})
    client.post(f"/models/{variant.pk}/variation-of/", {"variation_of": elsewhere.pk})

    base.refresh_from_db()
    variant.refresh_from_db()
    assert base.variation_of is None
    assert variant.variation_of == base


def test_a_viewer_may_not_make_variations_and_a_stranger_sees_nothing(client, make_user, base):
    viewer, stranger = make_user(), make_user()
    share(base.project, viewer, "view")
    variant = other_model(base.project, "Variant")
    urls = [
        (f"/models/{variant.pk}/variation-of/", {"variation_of": base.pk}),
        (f"/models/{base.pk}/variations/copy/", {"name": "Copy"}),
    ]
    for user, status in ((viewer, 403), (stranger, 404)):
        client.force_login(user)
        for url, data in urls:
            assert client.post(url, data).status_code == status, (url, user)
    assert EsdlModel.objects.filter(project=base.project).count() == 2
    client.force_login(viewer)
    assert 'id="copy-variation-form"' not in client.get(f"/models/{base.pk}/").content.decode()


def test_a_copy_with_a_changed_power_is_a_new_model_and_a_variation(client, owner, base):
    client.force_login(owner)
    page = client.get(f"/models/{base.pk}/").content.decode()

    response = client.post(
        f"/models/{base.pk}/variations/copy/",
        {"name": "Bigger producer", "change": f"{PRODUCER_ID}|power", "value": "7500000"},
    )

    assert f'value="{PRODUCER_ID}|power"' in page
    variation = EsdlModel.objects.get(name="Bigger producer")
    assert response.status_code == 302 and response["Location"] == f"/models/{variation.pk}/"
    assert variation.variation_of == base and variation.project == base.project
    producer = EnergySystemHandler().load_from_string(variation.esdl)
    powers = {a.id: a.power for a in producer.eAllContents() if hasattr(a, "power")}
    assert powers[PRODUCER_ID] == 7_500_000.0
    assert variation.summary["asset_total"] == base.summary["asset_total"]


def test_changing_an_attribute_an_asset_does_not_have_is_refused(client, owner, base):
    client.force_login(owner)

    response = client.post(
        f"/models/{base.pk}/variations/copy/",
        {"name": "Broken", "change": f"{PRODUCER_ID}|noSuchThing", "value": "1"},
        follow=True,
    )

    assert "has no number" in response.content.decode()
    assert not EsdlModel.objects.filter(name="Broken").exists()


def test_an_uploaded_esdl_becomes_a_variation(client, owner, base):
    client.force_login(owner)
    upload = SimpleUploadedFile("two_sources.esdl", corpus_bytes("2sources.esdl"))

    client.post(f"/models/{base.pk}/variations/upload/", {"file": upload})

    variation = EsdlModel.objects.get(name="two_sources")
    assert variation.variation_of == base


def test_compare_page_lists_models_with_results_and_preselects_their_newest_jobs(
    client, owner, make_user, variations
):
    project = variations[0].esdl_model.project
    client.force_login(owner)

    page = client.get(f"/projects/{project.pk}/compare/").content.decode()
    project_page = client.get(f"/projects/{project.pk}/").content.decode()

    assert f'href="/projects/{project.pk}/compare/"' in project_page
    for job in variations:
        assert f'<option value="{job.pk}" selected>' in page
        assert f"/jobs/{job.pk}/output.esdl" in page
    assert 'id="compare-chart"' in page and "compare-config" in page
    client.force_login(make_user())
    assert client.get(f"/projects/{project.pk}/compare/").status_code == 404
