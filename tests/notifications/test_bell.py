"""The bell: unread count live over the websocket; shares and the page behind the bell."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone

from apps.models.models import Project
from apps.notifications.models import Notification
from apps.notifications.services import mark_read, notify, prune
from apps.sharing.services import share
from designtoolkit.asgi import application


async def connect(cookie: bytes | None) -> tuple[WebsocketCommunicator, bool]:
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


@pytest.mark.django_db(transaction=True)
def test_the_bell_gets_the_count_at_once_then_each_new_notification(client, owner, make_user):
    notify(owner, Notification.Kind.JOB, "earlier")
    client.force_login(owner)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    alice = make_user("alice@example.com")
    project = Project.objects.create(owner=alice, name="Heat <net>")

    @database_sync_to_async
    def alice_shares() -> None:
        share(project, owner, "view")

    async def scenario():
        communicator, connected = await connect(cookie.encode())
        assert connected
        first = await communicator.receive_json_from(timeout=5)
        await alice_shares()
        update = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return first, update

    first, update = async_to_sync(scenario)()
    assert first == {"unread": 1}
    assert update["unread"] == 2
    assert update["latest"] == {
        "text": "alice@example.com shared project “Heat <net>” with you (view).",
        "url": project.get_absolute_url(),
    }
    # The page escapes what a user named things.
    page = client.get("/notifications/").content.decode()
    assert "Heat &lt;net&gt;" in page and "Heat <net>" not in page


@pytest.mark.django_db(transaction=True)
def test_anonymous_visitors_get_no_bell():
    async def scenario():
        communicator, connected = await connect(None)
        await communicator.disconnect()
        return connected

    assert async_to_sync(scenario)() is False


@pytest.mark.django_db
def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client, owner, make_user):
    note = notify(owner, Notification.Kind.JOB, "Job ended", "/jobs/")
    elsewhere = notify(owner, Notification.Kind.JOB, "Bad link", "https://evil.example/")
    client.force_login(owner)
    assert b'id="bell-count"' in client.get("/projects/").content

    response = client.get(f"/notifications/{note.pk}/")
    assert response.status_code == 302 and response["Location"] == "/jobs/"
    assert Notification.objects.get(pk=note.pk).read_at is not None
    # Only paths of this site are followed.
    assert client.get(f"/notifications/{elsewhere.pk}/")["Location"] == "/notifications/"
    # Someone else's notification does not exist for this user.
    client.force_login(make_user())
    assert client.get(f"/notifications/{note.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_account_page_sets_the_e_mail_default(client, owner):
    client.force_login(owner)
    page = client.get("/account/").content.decode()
    assert 'name="email_on_job_end" checked' in page
    client.post("/notifications/preferences/", {})
    assert 'name="email_on_job_end" checked' not in client.get("/account/").content.decode()
    assert not owner.notification_preference.email_on_job_end


@pytest.mark.django_db
def test_read_notifications_are_forgotten_after_90_days_unread_ones_kept(owner):
    read = notify(owner, Notification.Kind.JOB, "read")
    mark_read(owner, read.pk)
    unread = notify(owner, Notification.Kind.JOB, "unread")
    assert prune(timezone.now() + timedelta(days=89)) == 0
    assert prune(timezone.now() + timedelta(days=91)) == 1
    assert list(Notification.objects.all()) == [unread]
