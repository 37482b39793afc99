"""Input profiles of an uploaded model are served from our InfluxDB and can be replaced by a CSV."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from apps.models.esdl_document import EsdlDocument
from apps.models.models import EsdlModel
from apps.models.services import esdl_for_job
from apps.results.influx import influx_client
from tests.conftest import bind_profiles
from tests.corpus import corpus_bytes
from tests.models.test_upload_api import upload


def uploaded(api, project, stem: str) -> EsdlModel:
    response = upload(api, project, stem, corpus_bytes(f"{stem}.esdl"))
    assert response.status_code == 201, response.content
    bind_profiles(response.json()["id"])
    return EsdlModel.objects.get(pk=response.json()["id"])


@pytest.mark.django_db
def test_job_esdl_reads_every_profile_from_our_influxdb(api, project, settings):
    esdl_model = uploaded(api, project, "2sources")

    references = EsdlDocument(esdl_for_job(esdl_model)).profile_references()

    assert references
    for reference in references:
        assert (reference.host, reference.port) == ("127.0.0.1", 8086)
        assert reference.database == settings.INFLUX_PROFILES_DATABASE
        values = list(
            influx_client().select_series(
                reference.database, reference.measurement, reference.field, {}
            )
        )
        assert values[0][0] == int(reference.start.timestamp())
        assert values[-1][0] == int(reference.end.timestamp())


@pytest.mark.django_db
def test_csv_upload_replaces_the_bound_profile(client, owner, api, project):
    esdl_model = uploaded(api, project, "test1")
    binding = esdl_model.profile_bindings.first()
    rows = "timestamp,value_w\n" + "".join(
        f"2019-01-01T{hour:02d}:00:00Z,{1000 * (hour + 1)}\n" for hour in range(24)
    )
    client.force_login(owner)

    response = client.post(
        f"/profiles/bindings/{binding.pk}/csv/",
        {"file": SimpleUploadedFile("profile.csv", rows.encode())},
    )

    assert response.status_code == 302
    binding.refresh_from_db()
    assert binding.profile.source == "csv"
    assert binding.profile.points == 24
    assert binding.profile.peak_w == 24_000
    reference = next(
        r
        for r in EsdlDocument(esdl_for_job(esdl_model)).profile_references()
        if r.id == binding.esdl_profile_id
    )
    assert reference.measurement == binding.profile.measurement


@pytest.mark.django_db
def test_bad_csv_is_refused_and_the_binding_kept(client, owner, api, project):
    esdl_model = uploaded(api, project, "test1")
    binding = esdl_model.profile_bindings.first()
    before = binding.profile_id
    client.force_login(owner)

    response = client.post(
        f"/profiles/bindings/{binding.pk}/csv/",
        {"file": SimpleUploadedFile("profile.csv", b"2019-01-01T00:00:00Z,abc\n")},
        follow=True,
    )

    assert b"is not a number" in response.content
    binding.refresh_from_db()
    assert binding.profile_id == before


@pytest.mark.django_db
def test_strangers_cannot_replace_a_profile(client, make_user, api, project):
    esdl_model = uploaded(api, project, "test1")
    binding = esdl_model.profile_bindings.first()
    client.force_login(make_user())

    response = client.post(
        f"/profiles/bindings/{binding.pk}/csv/",
        {"file": SimpleUploadedFile("profile.csv", b"2019-01-01T00:00:00Z,1\n")},
    )

    assert response.status_code == 404


@pytest.mark.django_db
def test_job_esdl_takes_pipe_sizes_from_the_catalogue(api, project):
    call_command("load_pipe_catalogue")
    esdl_model = uploaded(api, project, "cluster1merged_pipes")
    assert EsdlDocument(esdl_model.esdl).unresolved_pipe_sizes()

    assert EsdlDocument(esdl_for_job(esdl_model)).unresolved_pipe_sizes() == []
