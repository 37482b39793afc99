"""Passwords are stored as Argon2id at OWASP's baseline cost (apps.accounts.hashers); a hash
stored before, as PBKDF2, still logs its owner in and is rewritten as Argon2id on the way, by
the login form and by HTTP Basic on the API alike; a wrong password rewrites nothing."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from rest_framework.test import APIClient

from tests.accounts.conftest import is_logged_in, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ARGON2ID_BASELINE = "argon2$argon2id$v=19$m=19456,t=2,p=1$"


def stored_as_pbkdf2(user) -> str:
    """Store the user's password as the product did before (Django's PBKDF2-SHA256)."""
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    return user.password


def basic_api(email: str, password: str) -> APIClient:
    client = APIClient()
    credentials = base64.b64encode(f"{email}:{password}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")
    return client


def test_a_new_password_is_stored_as_argon2id_at_the_owasp_baseline(make_user):
    user = make_user()

    assert user.password.startswith(ARGON2ID_BASELINE)
    assert PASSWORD not in user.password
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")


def test_a_pbkdf2_password_logs_in_and_is_rewritten_as_argon2id(client, make_user):
    user = make_user()
    old = stored_as_pbkdf2(user)
    assert identify_hasher(old).algorithm == "pbkdf2_sha256"

    log_in(client, user.email, PASSWORD)

    assert is_logged_in(client)
    user.refresh_from_db()
    assert user.password.startswith(ARGON2ID_BASELINE) and user.check_password(PASSWORD)


def test_basic_auth_on_the_api_rewrites_a_pbkdf2_password_too(make_user):
    user = make_user()
    stored_as_pbkdf2(user)

    assert basic_api(user.email, PASSWORD).get("/api/projects/").status_code == 200

    user.refresh_from_db()
    assert user.password.startswith(ARGON2ID_BASELINE)


def test_a_wrong_password_neither_logs_in_nor_rewrites_the_hash(make_user):
    user = make_user()
    old = stored_as_pbkdf2(user)

    assert basic_api(user.email, "not-the-password-1").get("/api/projects/").status_code == 401

    user.refresh_from_db()
    assert user.password == old
