"""Every list pages (R16): the API lists come whole unless a client asks for pages (``page`` or
``page_size``), the list pages show at most a page with links to the rest."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.helpdesk.services import raise_ticket
from apps.jobs.models import Job
from apps.models.models import EsdlModel, Project
from apps.notifications.models import Notification
from apps.notifications.services import notify
from apps.sharing.teams import create_team
from designtoolkit.pagination import MAX_PAGE, PAGE_SIZE

ROWS = PAGE_SIZE + 3


@pytest.fixture
def many(owner):
    """``ROWS`` projects, models in one project, and jobs on one model of the owner's."""
    projects = Project.objects.bulk_create(
        Project(owner=owner, name=f"Project {i:03}") for i in range(ROWS)
    )
    models = EsdlModel.objects.bulk_create(
        EsdlModel(project=projects[0], name=f"Model {i:03}", esdl="", size_bytes=0)
        for i in range(ROWS)
    )
    Job.objects.bulk_create(
        Job(owner=owner, esdl_model=models[0], workflow="simulator", esdl="", time_limit_s=60)
        for _ in range(ROWS)
    )
    return projects[0], models[0]


@pytest.fixture
def api(owner) -> APIClient:
    client = APIClient()
    client.force_authenticate(owner)
    return client


@pytest.fixture
def browser_client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.mark.parametrize("route", ["/api/projects/", "/api/models/", "/api/jobs/"])
def test_api_list_is_plain_and_whole_without_page(api, many, route):
    body = api.get(route).json()
    assert isinstance(body, list) and len(body) == ROWS


@pytest.mark.parametrize("route", ["/api/projects/", "/api/models/", "/api/jobs/"])
def test_api_list_pages_when_asked(api, many, route):
    first = api.get(route, {"page": 1}).json()
    assert first["count"] == ROWS and len(first["results"]) == PAGE_SIZE
    assert first["previous"] is None and "page=2" in first["next"]
    second = api.get(route, {"page": 2}).json()
    assert len(second["results"]) == ROWS - PAGE_SIZE and second["next"] is None
    ids = {row["id"] for row in first["results"]} | {row["id"] for row in second["results"]}
    assert len(ids) == ROWS


@pytest.mark.parametrize("route", ["/api/projects/", "/api/models/", "/api/jobs/"])
def test_api_page_size_is_capped(api, many, route):
    body = api.get(route, {"page_size": MAX_PAGE + 100}).json()
    assert body["count"] == ROWS and len(body["results"]) == ROWS
    small = api.get(route, {"page_size": 5}).json()
    assert len(small["results"]) == 5


def test_api_page_out_of_range_is_a_404_not_a_500(api, many):
    assert api.get("/api/projects/", {"page": 99}).status_code == 404
    assert api.get("/api/projects/", {"page": "x"}).status_code == 404


def test_api_models_filter_by_project(api, many, owner):
    project, _ = many
    other = Project.objects.create(owner=owner, name="Other")
    EsdlModel.objects.create(project=other, name="Elsewhere", esdl="", size_bytes=0)
    names = {m["name"] for m in api.get("/api/models/", {"project": other.pk}).json()}
    assert names == {"Elsewhere"}
    assert len(api.get("/api/models/", {"project": project.pk}).json()) == ROWS


def page_rows(html: str, table_id: str) -> int:
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return table.split("</thead>", 1)[-1].count("<tr")


@pytest.mark.parametrize(
    ("url", "table_id"),
    [("/projects/", "projects"), ("/jobs/", "job-table"), ("P", "models"), ("M", "job-table")],
)
def test_list_pages_show_one_page_and_link_the_next(browser_client, many, url, table_id):
    project, esdl_model = many
    url = {"P": f"/projects/{project.pk}/", "M": f"/models/{esdl_model.pk}/"}.get(url, url)
    first = browser_client.get(url).content.decode()
    assert page_rows(first, table_id) == PAGE_SIZE
    assert f"Page 1 of 2 ({ROWS} in all)" in first and 'rel="next"' in first
    second = browser_client.get(url, {"page": 2}).content.decode()
    assert page_rows(second, table_id) == ROWS - PAGE_SIZE
    # A stale page number shows the last page rather than an error.
    assert browser_client.get(url, {"page": 99}).status_code == 200


@pytest.mark.parametrize("url", ["/jobs/", "M"])
def test_a_job_table_page_fetches_its_rows_in_one_query_without_esdl_or_results(
    browser_client, many, url
):
    """A page of the job table reads each row's name, state and times, not its model's ESDL
    nor its parameters and results (50 of them made the model page the load test's slowest)."""
    url = {"M": f"/models/{many[1].pk}/"}.get(url, url)
    with CaptureQueriesContext(connection) as queries:
        assert browser_client.get(url).status_code == 200
    rows = [q["sql"] for q in queries.captured_queries if "LIMIT 50" in q["sql"]]
    assert len(rows) == 1 and 'FROM "jobs_job"' in rows[0]
    for column in ('"models_esdlmodel"."esdl"', '"jobs_job"."params"', '"jobs_job"."kpis"'):
        assert column not in rows[0]


def test_jobs_list_pages_keep_the_filters(browser_client, many):
    _, esdl_model = many
    page = browser_client.get("/jobs/", {"model": esdl_model.pk}).content.decode()
    assert f'href="?model={esdl_model.pk}&amp;page=2"' in page


def test_notifications_tickets_and_teams_pages(owner, browser_client):
    for i in range(ROWS):
        notify(owner, Notification.Kind.JOB, f"Job {i} ended", "/jobs/")
        raise_ticket(owner, f"Question {i}", "Why?")
        create_team(owner, f"Team {i:03}")
    assert Group.objects.count() >= ROWS
    for url, table_id in [
        ("/notifications/", "notifications"),
        ("/helpdesk/", "tickets"),
        ("/sharing/teams/", "teams"),
    ]:
        first = browser_client.get(url).content.decode()
        assert page_rows(first, table_id) == PAGE_SIZE, url
        second = browser_client.get(url, {"page": 2}).content.decode()
        assert page_rows(second, table_id) == ROWS - PAGE_SIZE, url
