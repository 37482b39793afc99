"""A job, its results and its output ESDL are reachable by its owner only; others get 404."""

from __future__ import annotations

import pytest

from tests.jobs.test_progress_websocket import make_job


def job_urls(job) -> list[str]:
    return [
        f"/jobs/{job.id}/",
        f"/jobs/{job.id}/output.esdl",
        f"/api/jobs/{job.id}/",
        f"/api/jobs/{job.id}/series/",
        f"/api/jobs/{job.id}/series/data/?asset_id=a&field=heat_supplied",
    ]


@pytest.fixture
def finished_job(owner):
    job = make_job(owner)
    job.status = job.Status.SUCCEEDED
    job.output_esdl = "<esdl:EnergySystem/>"
    job.series = []
    job.save()
    return job


@pytest.mark.django_db
def test_stranger_gets_404_for_every_view_of_a_job(client, make_user, finished_job):
    client.force_login(make_user())

    for url in job_urls(finished_job):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_owner_reaches_the_job_and_its_output_esdl(client, owner, finished_job):
    client.force_login(owner)

    assert client.get(f"/jobs/{finished_job.id}/").status_code == 200
    response = client.get(f"/jobs/{finished_job.id}/output.esdl")
    assert response.status_code == 200
    assert response.content == b"<esdl:EnergySystem/>"
    assert client.get(f"/api/jobs/{finished_job.id}/series/").json() == []


@pytest.mark.django_db
def test_unknown_series_is_a_404_with_a_reason(client, owner, finished_job):
    client.force_login(owner)

    response = client.get(f"/api/jobs/{finished_job.id}/series/data/?asset_id=x&field=y")

    assert response.status_code == 404
    assert "no series" in response.json()["detail"]
