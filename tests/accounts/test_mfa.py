"""Two-factor authentication with an authenticator app (TOTP) and recovery codes (allauth.mfa)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

from tests.accounts.conftest import is_logged_in, log_in
from tests.accounts.test_login_rate_limit import basic
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tolerate_a_period_boundary(settings) -> None:
    # A code computed just before a 30 s boundary is still accepted just after it.
    settings.MFA_TOTP_TOLERANCE = 1


def totp(secret_b32: str, at: float | None = None) -> str:
    """RFC 6238 code (HMAC-SHA1, 30 s, 6 digits), as any authenticator app computes it.

    For now (``at`` None), a code of a window with at least 3 s left: one made at its very end
    would have expired by the time the server checks it (a person would wait for the next)."""
    if at is None:
        left_s = 30 - time.time() % 30
        if left_s < 3:
            time.sleep(left_s + 0.05)
        at = time.time()
    counter = int(at) // 30
    digest = hmac.new(base64.b32decode(secret_b32), struct.pack(">Q", counter), hashlib.sha1)
    raw = digest.digest()
    offset = raw[-1] & 0x0F
    value = struct.unpack(">I", raw[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def activate_totp(client) -> str:
    """Activate TOTP from the account page, as a user does; returns the secret."""
    account_page = client.get("/account/").content.decode()
    assert 'href="/accounts/2fa/totp/activate/"' in account_page
    # allauth asks for the password again before a security change.
    asked = client.get("/accounts/2fa/totp/activate/")
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/")
    client.post(asked["Location"], {"password": PASSWORD})
    form_page = client.get("/accounts/2fa/totp/activate/")
    assert form_page.status_code == 200
    secret = form_page.context["form"].secret
    assert secret in form_page.content.decode()  # shown for typing into the app
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp(secret)})
    assert response.status_code == 302, response.content
    return secret


@pytest.fixture
def user_with_totp(client, make_user):
    user = make_user()
    log_in(client, user.email)
    secret = activate_totp(client)
    client.logout()
    return user, secret


def test_user_activates_totp_from_the_account_page(client, make_user):
    user = make_user()
    log_in(client, user.email)

    activate_totp(client)

    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert "An authenticator app is active" in client.get("/account/").content.decode()


def test_activation_needs_a_valid_code(client, make_user):
    user = make_user()
    log_in(client, user.email)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    client.get("/accounts/2fa/totp/activate/")

    response = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not Authenticator.objects.filter(user=user).exists()


def test_activating_totp_also_creates_recovery_codes(client, make_user):
    user = make_user()
    log_in(client, user.email)

    activate_totp(client)

    codes = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    assert len(RecoveryCodes(codes).get_unused_codes()) == 10


def test_login_then_asks_for_the_code(client, user_with_totp):
    user, _secret = user_with_totp

    response = log_in(client, user.email)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not is_logged_in(client)


def test_right_code_completes_the_login(client, user_with_totp):
    user, secret = user_with_totp
    log_in(client, user.email)

    response = client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})

    assert response.status_code == 302
    assert is_logged_in(client)


def test_wrong_code_does_not_log_in(client, user_with_totp):
    user, secret = user_with_totp
    log_in(client, user.email)

    response = client.post("/accounts/2fa/authenticate/", {"code": totp(secret, time.time() - 600)})

    assert "Incorrect code." in response.content.decode()
    assert not is_logged_in(client)


def test_a_code_cannot_be_used_twice(client, user_with_totp):
    user, secret = user_with_totp
    code = totp(secret)
    log_in(client, user.email)
    client.post("/accounts/2fa/authenticate/", {"code": code})
    client.logout()
    log_in(client, user.email)

    response = client.post("/accounts/2fa/authenticate/", {"code": code})

    assert "Incorrect code." in response.content.decode()
    assert not is_logged_in(client)


def test_recovery_code_logs_in_once(client, user_with_totp):
    user, _secret = user_with_totp
    recovery = RecoveryCodes(
        Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    )
    code = recovery.get_unused_codes()[0]
    log_in(client, user.email)
    client.post("/accounts/2fa/authenticate/", {"code": code})
    assert is_logged_in(client)
    client.logout()
    log_in(client, user.email)

    client.post("/accounts/2fa/authenticate/", {"code": code})

    assert not is_logged_in(client)


def test_password_alone_does_not_open_the_api_with_mfa_on(user_with_totp):
    user, _secret = user_with_totp

    response = basic(user.email, PASSWORD).get("/api/projects/")

    assert response.status_code == 401
    assert "two-factor authentication" in response.json()["detail"]
    assert "Authorization: Token" in response.json()["detail"]
