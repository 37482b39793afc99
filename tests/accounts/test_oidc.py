"""OpenID Connect login through an outside identity provider (Keycloak or any other).

A tiny identity provider on a local port serves the discovery document, the token and the
userinfo endpoints, so the whole authorization-code flow runs as it would against Keycloak.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model

from tests.accounts.conftest import is_logged_in, log_in
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

CLIENT_ID = "design-toolkit"
CLIENT_SECRET = "client-secret-for-tests"
USERINFO = {
    "sub": "kc-0001",
    "email": "Keycloak.User@example.com",
    "email_verified": True,
    "given_name": "Kay",
    "family_name": "Cloak",
}


class IdentityProvider(BaseHTTPRequestHandler):
    """Keycloak-like endpoints under /realms/test; token requests are kept for the test to read."""

    token_requests: list[dict[str, list[str]]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        base = f"http://127.0.0.1:{self.server.server_port}/realms/test"
        if self.path == "/realms/test/.well-known/openid-configuration":
            self._json(
                {
                    "issuer": base,
                    "authorization_endpoint": f"{base}/protocol/openid-connect/auth",
                    "token_endpoint": f"{base}/protocol/openid-connect/token",
                    "userinfo_endpoint": f"{base}/protocol/openid-connect/userinfo",
                    "jwks_uri": f"{base}/protocol/openid-connect/certs",
                    "token_endpoint_auth_methods_supported": ["client_secret_post"],
                }
            )
        elif self.path == "/realms/test/protocol/openid-connect/userinfo":
            if self.headers.get("Authorization") != "Bearer access-token-1":
                self._json({"error": "invalid_token"}, 401)
            else:
                self._json(USERINFO)
        else:
            self._json({"error": "not_found"}, 404)

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        form = parse_qs(body)
        IdentityProvider.token_requests.append(form)
        if form.get("code") == ["code-from-idp"] and form.get("client_secret") == [CLIENT_SECRET]:
            self._json({"access_token": "access-token-1", "token_type": "Bearer"})
        else:
            self._json({"error": "invalid_grant"}, 400)

    def _json(self, data: dict, status: int = 200) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def idp(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), IdentityProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    IdentityProvider.token_requests = []
    issuer = f"http://127.0.0.1:{server.server_port}/realms/test"
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "idp",
                    "name": "Keycloak",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": issuer},
                }
            ],
        }
    }
    yield issuer
    server.shutdown()
    server.server_close()


def start_login(client) -> dict[str, list[str]]:
    response = client.post("/accounts/oidc/idp/login/")
    assert response.status_code == 302
    return parse_qs(urlsplit(response["Location"]).query) | {"_url": [response["Location"]]}


def test_without_settings_the_login_page_offers_no_identity_provider(client):
    page = client.get("/accounts/login/").content.decode()

    assert "/accounts/oidc/" not in page
    assert client.post("/accounts/oidc/idp/login/").status_code == 404


def test_env_vars_configure_the_provider():
    env = {
        **os.environ,
        "DT_OIDC_SERVER_URL": "https://sso.example.org/realms/energy",
        "DT_OIDC_CLIENT_ID": "dt",
        "DT_OIDC_CLIENT_SECRET": "s3cret",
        "DT_OIDC_NAME": "Company SSO",
    }
    code = "import designtoolkit.settings as s, json; print(json.dumps(s.SOCIALACCOUNT_PROVIDERS))"
    printed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    (app,) = json.loads(printed.stdout)["openid_connect"]["APPS"]
    assert app == {
        "provider_id": "idp",
        "name": "Company SSO",
        "client_id": "dt",
        "secret": "s3cret",
        "settings": {"server_url": "https://sso.example.org/realms/energy"},
    }


def test_configured_provider_shows_a_button_on_the_login_page(client, idp):
    page = client.get("/accounts/login/").content.decode()

    assert 'href="/accounts/oidc/idp/login/?process=login"' in page
    assert "Sign in with Keycloak" in page


def test_login_redirects_to_the_providers_authorization_endpoint(client, idp):
    query = start_login(client)

    assert query["_url"][0].startswith(f"{idp}/protocol/openid-connect/auth?")
    assert query["client_id"] == [CLIENT_ID]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://testserver/accounts/oidc/idp/login/callback/"]
    assert "openid" in query["scope"][0].split()
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"][0]


def test_callback_signs_the_user_in_with_the_providers_verified_address(client, idp, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    state = start_login(client)["state"][0]

    response = client.get(
        "/accounts/oidc/idp/login/callback/", {"code": "code-from-idp", "state": state}
    )

    assert response.status_code == 302, response.content
    assert is_logged_in(client)
    user = get_user_model().objects.get(email="keycloak.user@example.com")
    assert user.username == "keycloak.user@example.com"
    assert SocialAccount.objects.get(user=user).uid == "kc-0001"
    assert EmailAddress.objects.get(user=user).verified
    (token_request,) = IdentityProvider.token_requests
    assert token_request["code_verifier"][0]  # PKCE


def test_callback_with_a_forged_state_signs_nobody_in(client, idp):
    start_login(client)

    client.get("/accounts/oidc/idp/login/callback/", {"code": "code-from-idp", "state": "forged"})

    assert not is_logged_in(client)
    assert not IdentityProvider.token_requests
    assert not get_user_model().objects.filter(email="keycloak.user@example.com").exists()


def test_account_page_links_the_provider_connections_when_configured(client, idp, owner):
    log_in(client, owner.email)

    page = client.get("/account/").content.decode()

    assert 'href="/accounts/3rdparty/"' in page
    assert client.get("/accounts/3rdparty/").status_code == 200
