"""The progress websocket shows a job only to those who may see it."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from apps.jobs.live import publish_job_state
from apps.jobs.models import Job
from apps.models.models import EsdlModel, Project
from designtoolkit.asgi import application


def make_job(owner) -> Job:
    """A queued job of a workflow no worker offers, so the live dispatcher leaves it alone."""
    project = Project.objects.create(owner=owner, name="p")
    esdl_model = EsdlModel.objects.create(project=project, name="m", esdl="", size_bytes=0)
    return Job.objects.create(
        owner=owner,
        esdl_model=esdl_model,
        workflow="no-worker-offers-this",
        esdl="",
        time_limit_s=60,
    )


def session_cookie(client, user) -> bytes:
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def connect(job: Job, cookie: bytes | None) -> tuple[WebsocketCommunicator, bool]:
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, f"/ws/jobs/{job.id}/", headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


@pytest.mark.django_db(transaction=True)
def test_owner_gets_the_state_at_once_and_then_every_change(client, owner):
    job = make_job(owner)
    cookie = session_cookie(client, owner)

    @database_sync_to_async
    def job_moves_on() -> None:
        Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, progress=0.5)
        publish_job_state(job.pk)

    async def scenario():
        communicator, connected = await connect(job, cookie)
        assert connected
        first = await communicator.receive_json_from(timeout=5)
        await job_moves_on()
        update = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return first, update

    first, update = async_to_sync(scenario)()

    assert first["status"] == "queued"
    assert (update["status"], update["progress"]) == ("running", 0.5)


@pytest.mark.django_db(transaction=True)
def test_stranger_and_anonymous_cannot_watch_a_job(client, owner, make_user):
    job = make_job(owner)
    stranger_cookie = session_cookie(client, make_user())

    async def scenario(cookie):
        communicator, connected = await connect(job, cookie)
        await communicator.disconnect()
        return connected

    assert async_to_sync(scenario)(stranger_cookie) is False
    assert async_to_sync(scenario)(None) is False
