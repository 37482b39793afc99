from __future__ import annotations

import pytest

from tests.comparison.results import drop_written, make_project, store_job


@pytest.fixture(scope="session", autouse=True)
def _drop_result_databases():
    yield
    drop_written()


@pytest.fixture
def stored_jobs():
    return store_job


@pytest.fixture
def variations(owner, stored_jobs):
    """Three variations of one model, a year of hourly results each (the second 10% higher)."""
    project = make_project(owner)
    base = stored_jobs(project, "Base", scale=1.0)
    return [
        base,
        stored_jobs(project, "Bigger", scale=1.1, variation_of=base.esdl_model),
        stored_jobs(project, "Smaller", scale=0.9, variation_of=base.esdl_model),
    ]
