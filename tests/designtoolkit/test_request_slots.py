"""Requests past a web process's slots wait their turn, with their body intact."""

from __future__ import annotations

import asyncio

from designtoolkit.request_slots import RequestSlots


def test_a_request_past_the_slots_waits_until_one_is_free_and_gets_its_whole_body():
    inside, most_inside, bodies = 0, 0, []

    async def app(scope, receive, send):
        nonlocal inside, most_inside
        inside += 1
        most_inside = max(most_inside, inside)
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await asyncio.sleep(0.05)
        bodies.append(body)
        inside -= 1

    slots = RequestSlots(app, slots=2)

    def client(n: int):
        chunks = [
            {"type": "http.request", "body": f"{n}-a".encode(), "more_body": True},
            {"type": "http.request", "body": b"-b", "more_body": False},
        ]

        async def receive():
            return chunks.pop(0) if chunks else {"type": "http.disconnect"}

        async def send(message):
            pass

        return slots({"type": "http"}, receive, send)

    async def scenario():
        await asyncio.gather(*(client(n) for n in range(5)))

    asyncio.run(scenario())

    assert most_inside == 2
    assert sorted(bodies) == [f"{n}-a-b".encode() for n in range(5)]


def test_a_websocket_takes_no_slot():
    entered = []

    async def app(scope, receive, send):
        entered.append(scope["type"])
        if scope["type"] == "http":
            await asyncio.sleep(0.2)

    slots = RequestSlots(app, slots=1)

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        pass

    async def scenario():
        held = asyncio.ensure_future(slots({"type": "http"}, receive, send))
        await asyncio.sleep(0.01)  # the one slot is taken
        await asyncio.wait_for(slots({"type": "websocket"}, receive, send), timeout=0.1)
        await held

    asyncio.run(scenario())

    assert entered == ["http", "websocket"]
