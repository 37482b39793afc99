from __future__ import annotations

import pytest

from apps.models.models import Project
from apps.results.influx import influx_client
from tests.network.results import finished_job


@pytest.fixture
def owner_project(owner) -> Project:
    return Project.objects.create(owner=owner, name="Network")


@pytest.fixture
def job(owner_project):
    """A succeeded job on a generated 10-asset network, 48 hourly steps of results."""
    job = finished_job(owner_project)
    yield job
    influx_client().drop_database(job.database)
