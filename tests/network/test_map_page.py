"""Where the map goes on the pages, and that it asks no tile server unless one is configured."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def test_model_page_holds_the_map_of_its_network_without_a_tile_server(browser_client, job):
    page = browser_client.get(f"/models/{job.esdl_model_id}/").content.decode()
    assert f'data-network-url="/api/models/{job.esdl_model_id}/network/"' in page
    assert 'data-tile-url=""' in page
    assert "data-values-url" not in page  # colouring by results is for a job's page
    assert "vendor/leaflet/leaflet.js" in page


def test_job_page_map_reads_the_job_network_and_its_values(browser_client, job):
    page = browser_client.get(f"/jobs/{job.pk}/").content.decode()
    assert f'data-network-url="/api/jobs/{job.pk}/network/"' in page
    assert f'data-values-url="/api/jobs/{job.pk}/network-values/"' in page


def test_an_operator_tile_server_is_named_with_its_attribution(browser_client, job, settings):
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Example contributors"
    page = browser_client.get(f"/models/{job.esdl_model_id}/").content.decode()
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in page
    assert "© Example contributors" in page
