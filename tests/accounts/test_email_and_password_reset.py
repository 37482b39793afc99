"""E-mail verification (mandatory in production) and password reset, through the e-mails sent."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command

from apps.accounts.services import create_user
from tests.accounts.conftest import is_logged_in, link_in, log_in
from tests.accounts.test_login_rate_limit import NOT_CORRECT, basic
from tests.conftest import PASSWORD, ROOT

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-password-77"


@pytest.fixture
def mandatory(settings) -> None:
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def sign_up(client, email: str):
    return client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


def confirm(client, message) -> None:
    path = link_in(message.body, "/accounts/confirm-email/")
    assert client.get(path).status_code == 200
    client.post(path)


def test_verification_is_mandatory_by_default_in_production():
    env = {**os.environ, "DT_DEBUG": "0", "DT_SECRET_KEY": "x" * 50}
    env.pop("DT_EMAIL_VERIFICATION", None)
    code = "import designtoolkit.settings as s; print(s.ACCOUNT_EMAIL_VERIFICATION)"
    printed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert printed.stdout.strip() == "mandatory"


def test_new_user_gets_a_confirmation_mail_and_no_login_until_confirmed(client, mandatory):
    response = sign_up(client, "new-user@example.com")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert not is_logged_in(client)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new-user@example.com"]
    attempt = log_in(client, "new-user@example.com")
    assert attempt["Location"] == "/accounts/confirm-email/"
    assert not is_logged_in(client)


def test_confirming_the_address_lets_the_user_log_in(client, mandatory):
    sign_up(client, "confirmed@example.com")
    confirm(client, mail.outbox[0])

    log_in(client, "confirmed@example.com")

    assert is_logged_in(client)
    assert EmailAddress.objects.get(email="confirmed@example.com").verified


def test_unconfirmed_user_cannot_use_basic_auth_on_the_api(client, mandatory):
    sign_up(client, "api-unconfirmed@example.com")

    response = basic("api-unconfirmed@example.com", PASSWORD).get("/api/projects/")

    assert response.status_code == 401
    assert response.json()["detail"] == "Confirm your e-mail address first."


def test_users_made_by_the_set_up_code_can_log_in_at_once(client, mandatory):
    user = create_user("Scripted@Example.com", PASSWORD)

    log_in(client, user.email)

    assert is_logged_in(client)
    assert basic(user.email, PASSWORD).get("/api/projects/").status_code == 200


def test_demo_user_is_verified_and_can_log_in(client, mandatory, settings):
    call_command("create_demo", email="demo-accounts@example.com", password=PASSWORD)

    user = get_user_model().objects.get(email="demo-accounts@example.com")
    assert EmailAddress.objects.filter(user=user, verified=True, primary=True).exists()
    log_in(client, user.email)
    assert is_logged_in(client)


def test_password_reset_by_mail(client, make_user, mandatory):
    user = make_user()

    response = client.post("/accounts/password/reset/", {"email": user.email})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    key_page = client.get(link_in(mail.outbox[0].body, "/accounts/password/reset/key/"))
    assert key_page.status_code == 302  # allauth moves the key out of the URL into the session
    form_url = key_page["Location"]
    done = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302

    assert NOT_CORRECT in log_in(client, user.email, PASSWORD).content.decode()
    log_in(client, user.email, NEW_PASSWORD)
    assert is_logged_in(client)


def test_password_reset_link_works_once(client, make_user, mandatory):
    user = make_user()
    client.post("/accounts/password/reset/", {"email": user.email})
    path = link_in(mail.outbox[0].body, "/accounts/password/reset/key/")
    form_url = client.get(path)["Location"]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    again = client.get(path, follow=True)

    assert "The password reset link was invalid" in again.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_for_an_unknown_address_reveals_nothing(client, db, mandatory):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
