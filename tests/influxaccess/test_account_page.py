"""The InfluxDB access panel: create (password shown once), the curl example, delete."""

from __future__ import annotations

import html
import json
import re
import subprocess

import pytest
from django.template import RequestContext, Template
from django.test import RequestFactory

from apps.influxaccess.models import InfluxCredential
from apps.results.influx import influx_client
from omotes.influx import InfluxAuthError, InfluxClient, InfluxSettings, encode_line
from tests.jobs.builders import make_job


@pytest.fixture(autouse=True)
def influx_cleanup(db):
    yield
    admin = influx_client()
    for username in InfluxCredential.objects.values_list("influx_username", flat=True):
        admin.query(f'DROP USER "{username}"')
    from apps.jobs.models import Job

    for job in Job.objects.all():
        admin.drop_database(job.database)


def test_creating_credentials_shows_the_password_once_and_a_working_curl_example(
    client, owner, settings
):
    settings.INFLUX_PUBLIC_URL = "https://influx.example.org:8086"
    job = make_job(owner)
    client.force_login(owner)

    response = client.post("/account/influx/create/")

    assert response.status_code == 200
    assert "no-store" in response.headers.get("Cache-Control", "")
    page = response.content.decode()
    username = InfluxCredential.objects.get(user=owner).influx_username
    password = re.search(r'id="influx-password">([^<]+)<', page).group(1)
    assert f"curl -G https://influx.example.org:8086/query -u {username}:{password}" in page
    assert f"db={job.database}" in page
    # The password works and is not shown again.
    reader = InfluxClient(InfluxSettings(influx_client().settings.url, username, password))
    assert job.database in reader.list_databases()
    again = client.get("/account/influx/").content.decode()
    assert username in again and password not in again


def test_the_panel_renders_from_the_request_alone(owner):
    """The account page includes the partial without providing any context of its own."""
    request = RequestFactory().get("/account/")
    request.user = owner

    html = Template('{% include "accounts/_influx_access.html" %}').render(
        RequestContext(request, {})
    )

    assert "You have no InfluxDB credentials" in html
    assert 'action="/account/influx/create/"' in html


def test_deleting_credentials_from_the_page_returns_to_it(client, owner):
    client.force_login(owner)
    client.post("/account/influx/create/")
    username = InfluxCredential.objects.get(user=owner).influx_username

    response = client.post("/account/influx/delete/", {"next": "/account/"})

    assert response.status_code == 302 and response.url == "/account/"
    assert not InfluxCredential.objects.filter(user=owner).exists()
    with pytest.raises(InfluxAuthError):
        InfluxClient(InfluxSettings(influx_client().settings.url, username, "x")).list_databases()


def test_delete_refuses_to_send_the_user_elsewhere(client, owner):
    client.force_login(owner)

    response = client.post("/account/influx/delete/", {"next": "https://evil.example.org/"})

    assert response.url == "/account/influx/"


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.post("/account/influx/create/")

    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert not InfluxCredential.objects.exists()


def test_the_curl_example_on_the_page_returns_the_jobs_points(client, owner):
    job = make_job(owner)
    job.series = [{"measurement": "HeatingDemand", "field": "heat_demand", "asset_id": "hd 1"}]
    job.save()
    admin = influx_client()
    admin.create_database(job.database)
    admin.write_lines(
        job.database, [encode_line("HeatingDemand", {"asset_id": "hd 1"}, {"heat_demand": 5.0}, 60)]
    )
    client.force_login(owner)
    page = client.post("/account/influx/create/").content.decode()
    command = html.unescape(re.search(r'<pre id="influx-example">(.*?)</pre>', page, re.S).group(1))

    run = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)

    assert run.returncode == 0, run.stderr
    [series] = json.loads(run.stdout)["results"][0]["series"]
    assert series["values"] == [[60, 5.0]] or series["values"] == [["1970-01-01T00:01:00Z", 5.0]]
