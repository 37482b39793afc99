"""API tokens: created on the account page, shown once, stored hashed, used on the API, revoked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from apps.models.models import Project
from tests.accounts.conftest import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(client, owner):
    log_in(client, owner.email)
    return client


def create_token(page, name: str = "laptop scripts", expires_in: str = "") -> str:
    response = page.post("/account/tokens/", {"name": name, "expires_in": expires_in})
    assert response.status_code == 200, response.content
    match = re.search(r'<pre id="new-token-key">([^<]+)</pre>', response.content.decode())
    assert match, "the new key is shown on the page"
    return match.group(1)


def api_with(key: str, scheme: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
    return client


def test_token_created_on_account_page_opens_the_api(page, owner):
    key = create_token(page)

    response = api_with(key).get("/api/projects/")

    assert response.status_code == 200
    assert api_with(key).get("/api/workflows/").status_code == 200


def test_token_also_works_as_a_bearer_token(page):
    key = create_token(page)

    assert api_with(key, "Bearer").get("/api/projects/").status_code == 200


def test_token_acts_as_its_owner(page, owner):
    key = create_token(page)
    client = api_with(key)

    created = client.post("/api/projects/", {"name": "Made with a token"}, format="json")

    assert created.status_code == 201, created.content
    assert Project.objects.filter(owner=owner, name="Made with a token").exists()


def test_token_is_stored_only_as_a_hash(page, owner):
    key = create_token(page, "ci")

    token = ApiToken.objects.get(user=owner)
    assert token.name == "ci"
    assert key.startswith("dt_") and len(key) == 3 + 64
    stored = [str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert key not in stored
    assert token.digest != key and len(token.digest) == 128
    assert key.startswith(token.token_key)


def test_key_is_shown_once(page):
    key = create_token(page)

    listing = page.get("/account/")

    assert listing.status_code == 200
    assert key not in listing.content.decode()
    assert "laptop scripts" in listing.content.decode()


def test_revoked_token_is_refused_at_once(page, owner):
    key = create_token(page)
    client = api_with(key)
    assert client.get("/api/projects/").status_code == 200
    digest = ApiToken.objects.get(user=owner).digest

    revoked = page.post("/account/tokens/revoke/", {"digest": digest})

    assert revoked.status_code == 302
    assert not ApiToken.objects.filter(digest=digest).exists()
    response = client.get("/api/projects/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_revoking_one_token_keeps_the_others(page, owner):
    kept = create_token(page, "kept")
    create_token(page, "dropped")
    dropped = ApiToken.objects.get(user=owner, name="dropped")

    page.post("/account/tokens/revoke/", {"digest": dropped.digest})

    assert api_with(kept).get("/api/projects/").status_code == 200
    assert list(ApiToken.objects.filter(user=owner).values_list("name", flat=True)) == ["kept"]


def test_token_with_expiry_stops_working_when_it_expires(page, owner):
    key = create_token(page, expires_in="7")
    token = ApiToken.objects.get(user=owner)
    assert timedelta(days=6, hours=23) < token.expiry - timezone.now() <= timedelta(days=7)
    assert api_with(key).get("/api/projects/").status_code == 200

    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))

    assert api_with(key).get("/api/projects/").status_code == 401


def test_token_without_expiry_never_expires(page, owner):
    create_token(page, expires_in="")

    assert ApiToken.objects.get(user=owner).expiry is None


def test_token_needs_a_name(page, owner):
    response = page.post("/account/tokens/", {"name": "", "expires_in": ""})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.filter(user=owner).exists()


def test_user_cannot_revoke_another_users_token(page, owner, make_user, client):
    key = create_token(page)
    digest = ApiToken.objects.get(user=owner).digest
    client.logout()
    stranger = make_user()
    log_in(client, stranger.email)

    response = client.post("/account/tokens/revoke/", {"digest": digest})

    assert response.status_code == 404
    assert api_with(key).get("/api/projects/").status_code == 200


def test_user_sees_only_their_own_tokens(page, owner, make_user, client):
    create_token(page, "owner's token")
    client.logout()
    stranger = make_user()
    log_in(client, stranger.email)

    listing = client.get("/account/").content.decode()

    assert "owner&#x27;s token" not in listing and "owner's token" not in listing
    assert "No tokens." in listing


def test_made_up_token_is_refused(db):
    response = api_with("dt_" + "0" * 64).get("/api/projects/")

    assert response.status_code == 401


def test_anonymous_cannot_create_tokens(client, db):
    response = client.post("/account/tokens/", {"name": "x"})

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not ApiToken.objects.exists()


def test_operator_revokes_a_token_in_the_admin(page, owner, client, make_user):
    key = create_token(page)
    token = ApiToken.objects.get(user=owner)
    admin_user = make_user()
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.logout()
    log_in(client, admin_user.email)
    assert "laptop scripts" in client.get("/admin/accounts/apitoken/").content.decode()

    client.post(f"/admin/accounts/apitoken/{token.pk}/delete/", {"post": "yes"})

    assert api_with(key).get("/api/projects/").status_code == 401
