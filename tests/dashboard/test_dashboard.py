"""The home page is the user's dashboard: their jobs in progress, recent results, what others
shared with them, and nothing they may not see."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.sharing.services import share
from tests.dashboard.builders import finished_job, running_job, shared_project


@pytest.fixture
def client_of():
    def log_in(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return log_in


def test_dashboard_shows_running_job_with_progress(owner, client_of):
    job = running_job(owner, progress=0.25)
    page = client_of(owner).get("/").content.decode()
    active = page.split('id="active-jobs"', 1)[1].split("</section>", 1)[0]
    assert job.display_name in active
    assert f'data-live-job="{job.pk}"' in active
    assert "25 %" in active and "time step 6 of 24" in active


def test_dashboard_lists_recent_results_not_as_active(owner, client_of):
    job = finished_job(owner)
    page = client_of(owner).get("/").content.decode()
    recent = page.split('id="recent-results"', 1)[1].split("</section>", 1)[0]
    active = page.split('id="active-jobs"', 1)[1].split("</section>", 1)[0]
    assert job.display_name in recent
    assert job.display_name not in active


def test_dashboard_lists_project_shared_with_me_once(owner, make_user, client_of):
    colleague = make_user("colleague@example.com")
    project = shared_project(colleague, owner)
    shared = client_of(owner).get("/").content.decode().split('id="shared-with-me"', 1)[1]
    shared = shared.split("</section>", 1)[0]
    assert "Harbour district" in shared and colleague.email in shared
    # The project's model comes with the project: not listed a second time.
    assert "Harbour network" not in shared
    assert project.get_absolute_url() in shared


def test_dashboard_lists_a_model_shared_alone(owner, make_user, client_of):
    colleague = make_user("colleague@example.com")
    job = running_job(colleague)
    share(job.esdl_model, owner, "view")
    page = client_of(owner).get("/").content.decode()
    shared = page.split('id="shared-with-me"', 1)[1].split("</section>", 1)[0]
    assert f'Model <a href="{job.esdl_model.get_absolute_url()}"' in shared
    # Its running job is the owner's to watch as well: they may see it.
    assert job.display_name in page.split('id="active-jobs"', 1)[1].split("</section>", 1)[0]


def test_dashboard_shows_nothing_of_others_unshared(owner, make_user, client_of):
    stranger = make_user("stranger@example.com")
    job = running_job(owner)
    page = client_of(stranger).get("/").content.decode()
    assert job.display_name not in page
    assert "No job is running or waiting." in page
    assert "Nothing has been shared with you yet." in page


def test_anonymous_visitor_is_sent_to_log_in():
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
