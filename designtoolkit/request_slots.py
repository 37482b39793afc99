"""At most N HTTP requests of one web process in Django at once; the others wait their turn.

Django under ASGI runs each request's synchronous code in a thread of its own (asgiref's
``ThreadSensitiveContext`` per request), so a process has as many threads as requests in
flight: under load, hundreds. They share one interpreter (one core) and a pool of
``DT_DB_POOL_MAX`` PostgreSQL connections, so each ran slower the more there were, and those that
waited 20 s for a connection were answered 503 (``bench/load.py``, 300 users: about a third of
the requests, and logins refused for want of a CSRF token). Here the requests past ``slots`` wait
in this process's event loop, first come first served, before any thread or connection is
taken: the same work is done, in order, and none fails for waiting.

A request's body is read before it waits for a slot, so a client that sends its body slowly
holds no slot (the request limits, ``designtoolkit.request_limits``, bound what is read).
Websockets are not counted: they hold no thread while open.
"""

from __future__ import annotations

import asyncio
from typing import Any

from designtoolkit.request_limits import ASGIApp, Message, Receive, Scope, Send


class RequestSlots:
    def __init__(self, app: ASGIApp, *, slots: int) -> None:
        self.app = app
        self.slots = max(1, slots)
        self._semaphore: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received: list[Message] = []
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        if self._semaphore is None:  # made in the server's event loop
            self._semaphore = asyncio.Semaphore(self.slots)
        async with self._semaphore:
            await self.app(scope, _replay(received, receive), send)


def _replay(received: list[Message], receive: Receive) -> Any:
    """``receive`` that gives what was read already, then what the client sends next (its
    disconnect)."""
    pending = list(received)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
