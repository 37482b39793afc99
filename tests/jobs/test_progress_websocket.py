"""The progress websocket shows a job only to those who may see it."""

from __future__ import annotations

import base64
import json
import os
import select
import socket
import struct
import time
from urllib.parse import urlsplit

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.jobs.live import is_watched, publish_job_state
from apps.jobs.models import Job
from designtoolkit.asgi import application
from tests.jobs.builders import make_job


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


class RawWebSocket:
    """Just enough of a websocket client (RFC 6455) to hold a job page's socket open on a real
    server: no library in the environment offers a plain synchronous one. It answers the
    server's keep-alive pings, as a browser does."""

    def __init__(self, url: str, cookie: bytes) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        origin = f"http://{parts.hostname}:{parts.port}"
        request = (
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nOrigin: {origin}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
        ).encode()
        self.sock.sendall(request + b"Cookie: " + cookie + b"\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def _read(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("the server closed the connection")
            data += chunk
        return data

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.sock.sendall(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def _frame(self, timeout: float) -> tuple[int, bytes] | None:
        """The next data or close frame (pings are answered on the way); None if none comes."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                return None
            self.sock.settimeout(10)  # a frame that has begun arrives whole
            first, second = self._read(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(length)
            if opcode == 0x8:
                code = struct.unpack(">H", payload[:2])[0] if payload else None
                raise ConnectionError(f"the server closed the socket with code {code}")
            if opcode == 0x9:
                self._send(0xA, payload)
                continue
            return opcode, payload

    def receive_json(self, timeout: float) -> dict:
        """The next text message; a close frame fails with its close code."""
        frame = self._frame(timeout)
        assert frame is not None, f"no message within {timeout} s"
        return json.loads(frame[1])

    def hold(self, seconds: float) -> None:
        """Keep the socket open for ``seconds``, answering pings as a browser does; messages
        meanwhile (the live dispatcher may publish the job's state too) are read and dropped.
        A close fails."""
        deadline = time.monotonic() + seconds
        while self._frame(deadline - time.monotonic()) is not None:
            pass

    def receive_progress(self, progress: float, timeout: float) -> None:
        """Read messages until one shows ``progress``; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.receive_json(max(0.0, deadline - time.monotonic()))
            if state["progress"] == progress:
                return

    def close(self) -> None:
        self._send(0x8, struct.pack(">H", 1000))
        self.sock.close()


def test_a_socket_held_for_a_minute_on_the_real_server_keeps_receiving_progress(
    client, owner, web_server
):
    # redis-py 8 reads with a 5 s timeout by default while channels_redis waits up to 5 s for a
    # message in Redis: every idle socket broke after ~5 s with 1011 until the channel layer
    # got a longer read timeout (settings.CHANNEL_LAYERS).
    job = make_job(owner)
    socket_ = RawWebSocket(
        f"{web_server.replace('http', 'ws')}/ws/jobs/{job.id}/", session_cookie(client, owner)
    )
    assert socket_.receive_json(timeout=10)["status"] == "queued"
    started = time.monotonic()
    for step in range(1, 7):
        socket_.hold(started + 10 * step - time.monotonic())  # 10 s without progress
        Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, progress=step / 10)
        publish_job_state(job.pk)  # no transaction open: sent at once
        socket_.receive_progress(step / 10, timeout=10)
    socket_.close()

    assert time.monotonic() - started >= 60


@pytest.mark.django_db(transaction=True)
def test_a_jobs_state_is_built_only_while_a_page_watches_it(client, owner):
    # Building the state takes four queries; most moves of most jobs have no page open on them.
    job = make_job(owner)
    cookie = session_cookie(client, owner)

    def queries_to_publish() -> int:
        with CaptureQueriesContext(connection) as queries:
            publish_job_state(job.pk)  # no transaction open: sent at once
        return len(queries)

    async def scenario() -> tuple[bool, int, dict, bool]:
        communicator, connected = await connect(job, cookie)
        await communicator.receive_json_from(timeout=5)
        watched = await database_sync_to_async(is_watched)(job.pk)
        await database_sync_to_async(Job.objects.filter(pk=job.pk).update)(progress=0.25)
        built = await database_sync_to_async(queries_to_publish)()
        update = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return watched, built, update, await database_sync_to_async(is_watched)(job.pk)

    assert not is_watched(job.pk)
    assert queries_to_publish() == 0
    watched, built, update, still_watched = async_to_sync(scenario)()
    assert watched and built > 0 and update["progress"] == 0.25
    assert not still_watched
    assert queries_to_publish() == 0
