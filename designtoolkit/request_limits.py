"""Requests too large for the product are answered at the door: 413 for a body, 414 for a URL.

The limits are settings: ``REQUEST_BODY_MAX_BYTES`` (the largest upload and its form) and
``URL_MAX_BYTES``. Without them a 100 MB upload went all the way into Django, which spooled it to
disk and parsed it for 10-19 s before refusing it with a 400.

They are held twice, on purpose. Our web server (``designtoolkit.webserver``, daphne) answers
before it reads a body. This ASGI middleware holds the same limits for the application under any
ASGI server: 413 from the headers (``Content-Length``) before the application reads a byte of
the body, and for a body without a length (chunked) it counts what arrives and stops at the limit.
A request line over 16 KiB is dropped by daphne (Twisted's line limit) before either runs, so the
URL limit sits below it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyTooLarge(Exception):
    """The body grew past the limit while the application was reading it."""


class RequestLimits:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_url_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_url_bytes = max_url_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        if len(raw_path) + len(scope.get("query_string", b"")) > self.max_url_bytes:
            await refuse(send, 414, url_limit_message(self.max_url_bytes))
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await refuse(send, 413, body_limit_message(self.max_body_bytes))
            return
        await self._counting(scope, receive, send)

    async def _counting(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        response_started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if response_started:  # too late for a status: the connection just ends
                raise
            await refuse(send, 413, body_limit_message(self.max_body_bytes))


def body_limit_message(max_body_bytes: int) -> str:
    return f"Request bodies are limited to {max_body_bytes // 2**20} MiB."


def url_limit_message(max_url_bytes: int) -> str:
    return f"URLs are limited to {max_url_bytes} bytes."


async def refuse(send: Send, status: int, reason: str) -> None:
    body = f"{reason}\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
