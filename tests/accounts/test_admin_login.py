"""The admin takes staff through allauth's login (two-factor, rate limits), never its own form."""

from __future__ import annotations

import pytest

from tests.accounts.conftest import log_in
from tests.accounts.test_login_rate_limit import WRONG
from tests.accounts.test_mfa import totp, user_with_totp  # noqa: F401 - fixture
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_with_totp(user_with_totp):  # noqa: F811
    user, secret = user_with_totp
    user.is_staff = user.is_superuser = True
    user.save()
    return user, secret


def admin_password_form(client, email: str, password: str):
    """What Django's own admin login form would take: username and password, nothing more."""
    return client.post(
        "/admin/login/", {"username": email, "password": password, "next": "/admin/"}
    )


def test_admin_login_sends_to_the_allauth_login_and_back(client):
    response = client.get("/admin/login/?next=/admin/accounts/apitoken/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_password_alone_does_not_open_the_admin_for_staff_with_totp(client, staff_with_totp):
    user, _secret = staff_with_totp

    admin_password_form(client, user.email, PASSWORD)

    assert client.get("/admin/").status_code != 200


def test_logged_in_user_cannot_switch_to_a_staff_account_with_its_password(
    client, make_user, staff_with_totp
):
    # Django's admin form logged a signed-in user in as whoever's password it was given.
    staff, _secret = staff_with_totp
    log_in(client, make_user().email)

    response = admin_password_form(client, staff.email, PASSWORD)

    assert response.status_code == 403
    assert client.get("/admin/").status_code != 200
    assert int(client.session["_auth_user_id"]) != staff.pk


def test_guesses_at_the_admin_form_are_never_checked(client, make_user, staff_with_totp):
    # Django's form took any number of guesses, outside the login limit; now none is answered.
    staff, _secret = staff_with_totp
    log_in(client, make_user().email)
    for _ in range(10):
        admin_password_form(client, staff.email, WRONG)

    admin_password_form(client, staff.email, PASSWORD)

    assert int(client.session["_auth_user_id"]) != staff.pk


def test_staff_reach_the_admin_after_password_and_code(client, staff_with_totp):
    user, secret = staff_with_totp
    to_login = client.get("/admin/login/?next=/admin/")["Location"]
    client.post(to_login, {"login": user.email, "password": PASSWORD})

    done = client.post("/accounts/2fa/authenticate/", {"code": totp(secret)}, follow=True)

    assert done.redirect_chain[-1][0] == "/admin/"
    assert done.status_code == 200


def test_admin_refuses_a_logged_in_user_who_is_not_staff(client, make_user):
    log_in(client, make_user().email)

    assert client.get("/admin/login/").status_code == 403
