"""Sharing by e-mail address reaches only an account that has confirmed that address: anyone can
sign up with any address, so an unconfirmed one would hand the grant to whoever registered first."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.test import Client

from tests.accounts.test_email_and_password_reset import confirm, mandatory, sign_up  # noqa: F401

pytestmark = pytest.mark.django_db

ADDRESS = "colleague@example.org"
NOT_CONFIRMED = "has not confirmed that address yet"


@pytest.fixture
def squatter(mandatory, settings):  # noqa: F811 - the fixture imported above
    """An account someone else signed up with the colleague's address, never confirmed."""
    # allauth sends one confirmation mail per address every 3 minutes, counted in the shared
    # Redis: counters of this test's own keep an earlier run from swallowing the mail.
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    }
    client = Client()
    sign_up(client, ADDRESS)
    return client


def test_sharing_with_an_unconfirmed_address_is_a_clear_400(api, project, squatter):
    response = api.post(f"/api/projects/{project}/grants/share/", {"user": ADDRESS})

    assert response.status_code == 400
    assert NOT_CONFIRMED in response.json()["detail"]
    assert api.get(f"/api/projects/{project}/grants/").json() == []


def test_the_share_panel_refuses_an_unconfirmed_address_too(client, owner, project, squatter):
    client.force_login(owner)

    response = client.post(
        f"/sharing/project/{project}/share/", {"grantee_kind": "user", "name": ADDRESS}
    )

    assert response.status_code == 400
    assert NOT_CONFIRMED in response.content.decode()


def test_sharing_works_once_the_address_is_confirmed(api, project, squatter):
    confirm(Client(), mail.outbox[-1])

    response = api.post(f"/api/projects/{project}/grants/share/", {"user": ADDRESS})

    assert response.status_code == 200, response.content
    assert response.json() == [{"kind": "user", "name": ADDRESS, "level": "view"}]


def test_a_grant_to_an_unconfirmed_address_can_still_be_revoked(api, project, squatter):
    """A grant given before the rule (or before the address lost its confirmation) must not
    become impossible to take back."""
    from django.contrib.auth import get_user_model

    from apps.models.models import Project
    from apps.sharing.services import share

    share(Project.objects.get(pk=project), get_user_model().objects.get(email=ADDRESS), "view")

    response = api.post(f"/api/projects/{project}/grants/revoke/", {"user": ADDRESS})

    assert response.status_code == 200, response.content
    assert response.json() == []
