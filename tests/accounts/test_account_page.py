"""The account page gathers e-mail, password, two-factor authentication and API tokens."""

from __future__ import annotations

import pytest

from tests.accounts.conftest import log_in

pytestmark = pytest.mark.django_db


def test_account_page_needs_a_login(client):
    response = client.get("/account/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_account_page_links_every_account_setting(client, owner):
    log_in(client, owner.email)

    response = client.get("/account/")

    page = response.content.decode()
    assert response.status_code == 200
    assert owner.email in page
    for link in (
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/totp/activate/",
        "/account/tokens/",
    ):
        assert f'"{link}"' in page, link
    assert "accounts/_influx_access.html" in [t.name for t in response.templates]


def test_linked_pages_open_for_the_user(client, owner):
    log_in(client, owner.email)

    for path in ("/accounts/email/", "/accounts/password/change/", "/accounts/2fa/"):
        assert client.get(path).status_code == 200, path
