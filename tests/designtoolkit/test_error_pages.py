"""Debug is off unless a developer asks; errors get the product's own pages, which list nothing."""

from __future__ import annotations

import http.cookiejar
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.conf import settings
from django.template.loader import render_to_string

from tests.conftest import PASSWORD, ROOT

pytestmark = pytest.mark.django_db


def settings_in_a_fresh_process(**env: str) -> subprocess.CompletedProcess:
    """Import the settings as a server process would, outside pytest, with ``env`` only."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "PYTEST_"))}
    return subprocess.run(
        [sys.executable, "-c", "import designtoolkit.settings as s; print(s.DEBUG)"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_is_off_by_default_and_on_only_when_asked():
    key = "k" * 50

    assert settings_in_a_fresh_process(DT_SECRET_KEY=key).stdout.strip() == "False"
    assert settings_in_a_fresh_process(DT_DEBUG="1").stdout.strip() == "True"


def test_without_debug_a_missing_secret_key_is_refused():
    refused = settings_in_a_fresh_process()

    assert refused.returncode != 0
    assert "DT_SECRET_KEY must be set" in refused.stderr


def get(url: str, cookie: str = "") -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_unknown_url_on_the_server_gives_our_404_page_without_the_routes(web_server, client, owner):
    client.force_login(owner)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    for url, who in ((f"{web_server}/no-such-page/", cookie), (f"{web_server}/api/nope/", "")):
        status, page = get(url, who)

        assert status == 404, url
        assert "Page not found" in page and 'class="brand"' in page
        assert "URLconf" not in page and "api/projects" not in page


def test_forbidden_shows_our_403_page_with_the_reason(client, make_user):
    client.force_login(make_user())

    response = client.get("/admin/login/")

    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()
    assert "The admin is for staff." in response.content.decode()


def test_a_request_for_a_foreign_host_gets_our_400_page(client):
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_the_500_page_renders_without_a_request():
    page = render_to_string("500.html")

    assert "Something went wrong" in page
    assert 'class="brand"' in page


def test_login_over_plain_http_works_with_the_cookie_setting_of_run_sh(web_server, owner):
    # The server runs with DT_SECURE_COOKIES=0 as scripts/run.sh starts it (tests/conftest.py);
    # a cookie jar, like python-requests' or curl's, returns no Secure cookie over http://.
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    browser.open(f"{web_server}/accounts/login/", timeout=30)
    csrf = next(cookie.value for cookie in jar if cookie.name == settings.CSRF_COOKIE_NAME)
    form = urllib.parse.urlencode(
        {"login": owner.email, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
    ).encode()
    browser.open(f"{web_server}/accounts/login/", form, timeout=30)

    account = browser.open(f"{web_server}/account/", timeout=30)

    assert account.geturl().endswith("/account/")
    assert owner.email in account.read().decode()


@pytest.fixture
def database_refusing(transactional_db):
    """The real PostgreSQL driver failing to connect (a closed port), as when the server is
    full or fails over; the connection is restored afterwards."""
    from django.db import connection

    connection.close()
    port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = "1"
    yield
    connection.close()
    connection.settings_dict["PORT"] = port


def test_a_database_that_refuses_gets_503_with_retry_after(client, owner, request):
    client.force_login(owner)  # the session is read from the database on each request
    request.getfixturevalue("database_refusing")
    client.raise_request_exception = False

    page = client.get("/projects/")
    api = client.get("/api/projects/")

    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert "busy" in page.content.decode()
    assert api.status_code == 503 and api["Retry-After"] == "5"
    assert api.json()["detail"].startswith("The service is busy")


def test_a_defect_is_still_a_500_with_our_page(rf):
    from designtoolkit.server_errors import server_error

    response = server_error(rf.get("/projects/"))  # no database failure at hand

    assert response.status_code == 500 and "Something went wrong" in response.content.decode()
