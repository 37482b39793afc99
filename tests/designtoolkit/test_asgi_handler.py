"""The ASGI application runs Django's middleware chain and the view in one thread crossing
(``designtoolkit.asgi_handler``), and pages still answer through it."""

from __future__ import annotations

from asgiref.sync import async_to_sync, iscoroutinefunction
from asgiref.testing import ApplicationCommunicator

from designtoolkit.asgi import django_asgi_app


def test_the_middleware_chain_is_built_for_sync_mode() -> None:
    # Django's own ASGI handler builds it for async mode: a coroutine function, with a thread
    # crossing for each sync part.
    assert not iscoroutinefunction(django_asgi_app._middleware_chain)


def test_a_page_answers_through_the_asgi_application(db) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/accounts/login/",
        "raw_path": b"/accounts/login/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }

    async def exchange() -> tuple[dict, bytes]:
        app = ApplicationCommunicator(django_asgi_app, scope)
        await app.send_input({"type": "http.request", "body": b""})
        start = await app.receive_output(10)
        body = b""
        while True:
            message = await app.receive_output(10)
            body += message.get("body", b"")
            if not message.get("more_body"):
                return start, body

    start, body = async_to_sync(exchange)()
    assert start["status"] == 200
    assert b'name="login"' in body
