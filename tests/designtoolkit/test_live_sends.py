"""Websocket group messages from synchronous code (``designtoolkit.live_sends``) reach the group
through the real Redis channel layer, in order, over one sending loop a process."""

from __future__ import annotations

import asyncio
import uuid

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from designtoolkit import live_sends


def test_messages_from_sync_code_reach_the_group_in_order_over_one_loop() -> None:
    layer = get_channel_layer()
    group = f"live-sends-{uuid.uuid4().hex}"
    send = sync_to_async(live_sends.group_send, thread_sensitive=False)

    async def listen_while_sync_code_sends() -> list[dict]:
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        try:
            for n in (1, 2, 3):
                await send(group, {"type": "test.message", "n": n})
            return [await asyncio.wait_for(layer.receive(channel), 10) for _ in range(3)]
        finally:
            await layer.group_discard(group, channel)

    loop = live_sends._sending_loop()
    received = async_to_sync(listen_while_sync_code_sends)()

    assert [message["n"] for message in received] == [1, 2, 3]
    assert live_sends._sending_loop() is loop and loop.is_running()
