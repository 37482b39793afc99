"""Login rate limiting: five wrong passwords in a row from one client, then that client is refused
the address for a while, whether the attempts come through the login form or HTTP Basic on the
API; the owner logging in from another client is not. (The test client's IP is 127.0.0.1.)"""

from __future__ import annotations

import base64
import time
from types import SimpleNamespace

import pytest
import redis
from allauth.core.internal import ratelimit
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from tests.accounts.conftest import is_logged_in, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "not-the-password-1"
REFUSED = "Too many failed login attempts. Try again later."
NOT_CORRECT = "The email address and/or password you specified are not correct."


ATTACKER_IP, OWNER_IP = "203.0.113.9", "198.51.100.7"


def basic(email: str, password: str, ip: str = "127.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=ip)
    credentials = base64.b64encode(f"{email}:{password}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")
    return client


def test_sixth_wrong_password_in_a_row_is_refused_with_a_clear_message(client, make_user):
    user = make_user()
    for _ in range(5):
        response = log_in(client, user.email, WRONG)
        assert NOT_CORRECT in response.content.decode()

    sixth = log_in(client, user.email, WRONG)

    assert sixth.status_code == 200
    assert REFUSED in sixth.content.decode()
    assert NOT_CORRECT not in sixth.content.decode()


def test_right_password_is_refused_too_once_the_limit_is_reached(client, make_user):
    user = make_user()
    for _ in range(5):
        log_in(client, user.email, WRONG)

    response = log_in(client, user.email, PASSWORD)

    assert REFUSED in response.content.decode()
    assert not is_logged_in(client)


def test_four_wrong_passwords_still_let_the_user_in(client, make_user):
    user = make_user()
    for _ in range(4):
        log_in(client, user.email, WRONG)

    log_in(client, user.email, PASSWORD)

    assert is_logged_in(client)


def test_limit_is_per_address(client, make_user):
    locked, other = make_user(), make_user()
    for _ in range(5):
        log_in(client, locked.email, WRONG)

    log_in(client, other.email, PASSWORD)

    assert is_logged_in(client)


def test_wrong_basic_auth_passwords_count_against_the_same_limit(client, make_user):
    user = make_user()
    for _ in range(5):
        response = basic(user.email, WRONG).get("/api/projects/")
        assert response.status_code in (401, 403)
        assert response.json()["detail"] == "Invalid e-mail address or password."

    over_the_limit = basic(user.email, PASSWORD).get("/api/projects/")

    assert over_the_limit.status_code == 429
    assert over_the_limit.json()["detail"] == REFUSED
    assert REFUSED in log_in(client, user.email, PASSWORD).content.decode()


def test_wrong_form_passwords_block_basic_auth_too(client, make_user):
    user = make_user()
    for _ in range(5):
        log_in(client, user.email, WRONG)

    response = basic(user.email, PASSWORD).get("/api/projects/")

    assert response.status_code == 429
    assert response.json()["detail"] == REFUSED


def test_basic_auth_address_is_case_insensitive_for_the_limit(make_user):
    user = make_user()
    for _ in range(5):
        basic(user.email.upper(), WRONG).get("/api/projects/")

    assert basic(user.email, PASSWORD).get("/api/projects/").status_code == 429


def test_right_basic_auth_passwords_do_not_use_up_the_limit(make_user):
    user = make_user()
    client = basic(user.email, PASSWORD)

    statuses = {client.get("/api/projects/").status_code for _ in range(12)}

    assert statuses == {200}


def test_counters_live_in_redis_so_every_web_process_shares_them(
    client, make_user, _private_cache_prefix
):
    user = make_user()
    assert settings.CACHES["default"]["BACKEND"] == "designtoolkit.redis_pools.RedisCache"
    for _ in range(2):
        log_in(client, user.email, WRONG)

    keys = redis.Redis.from_url(settings.REDIS_URL).keys(f"{_private_cache_prefix}:*login_failed*")

    assert keys, "the failed-login counters are in Redis"


def test_attackers_failures_do_not_lock_the_owner_out_from_another_client(make_user):
    user = make_user()
    attacker, owner = Client(REMOTE_ADDR=ATTACKER_IP), Client(REMOTE_ADDR=OWNER_IP)
    for _ in range(5):
        log_in(attacker, user.email, WRONG)

    log_in(owner, user.email, PASSWORD)

    assert is_logged_in(owner)
    assert REFUSED in log_in(attacker, user.email, WRONG).content.decode()
    assert REFUSED in log_in(attacker, user.email, PASSWORD).content.decode()


def test_attackers_basic_auth_failures_do_not_lock_the_owners_api_client_out(make_user):
    user = make_user()
    for _ in range(5):
        basic(user.email, WRONG, ATTACKER_IP).get("/api/projects/")

    assert basic(user.email, PASSWORD, OWNER_IP).get("/api/projects/").status_code == 200
    assert basic(user.email, PASSWORD, ATTACKER_IP).get("/api/projects/").status_code == 429


def test_one_client_trying_many_addresses_is_limited(make_user):
    attacker = Client(REMOTE_ADDR=ATTACKER_IP)
    for _ in range(10):
        log_in(attacker, make_user().email, WRONG)

    response = log_in(attacker, make_user().email, WRONG)

    assert REFUSED in response.content.decode()


class Clock:
    """allauth's rate-limit clock, moved by hand so a test can wait an hour in no time."""

    def __init__(self, monkeypatch) -> None:
        self.now = time.time()
        clock = SimpleNamespace(time=lambda: self.now, monotonic=time.monotonic, sleep=time.sleep)
        monkeypatch.setattr(ratelimit, "time", clock)

    def advance(self, minutes: float) -> None:
        self.now += minutes * 60


def test_the_wait_grows_as_a_client_keeps_failing(client, make_user, monkeypatch):
    user = make_user()
    clock = Clock(monkeypatch)
    for _ in range(5):
        log_in(client, user.email, WRONG)
    clock.advance(6)  # the first wait (5 minutes) is over: five more tries
    for _ in range(5):
        assert NOT_CORRECT in log_in(client, user.email, WRONG).content.decode()

    clock.advance(6)  # ten failures within the hour: this time 6 minutes are not enough

    assert REFUSED in log_in(client, user.email, PASSWORD).content.decode()
    clock.advance(60)
    log_in(client, user.email, PASSWORD)
    assert is_logged_in(client)
