"""The ASGI application runs Django's middleware chain and the view in one thread crossing
(``designtoolkit.asgi_handler``), and pages still answer through it."""

from __future__ import annotations

from asgiref.sync import async_to_sync, iscoroutinefunction
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.core.cache import caches
from django.test import Client

from designtoolkit import redis_pools
from designtoolkit.asgi import django_asgi_app


def get(path: str, headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, bytes]:
    """The status and body of a GET of ``path`` through the ASGI application."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }

    async def exchange() -> tuple[int, bytes]:
        app = ApplicationCommunicator(django_asgi_app, scope)
        await app.send_input({"type": "http.request", "body": b""})
        start = await app.receive_output(10)
        body = b""
        while True:
            message = await app.receive_output(10)
            body += message.get("body", b"")
            if not message.get("more_body"):
                return start["status"], body

    return async_to_sync(exchange)()


def test_the_middleware_chain_is_built_for_sync_mode() -> None:
    # Django's own ASGI handler builds it for async mode: a coroutine function, with a thread
    # crossing for each sync part.
    assert not iscoroutinefunction(django_asgi_app._middleware_chain)


def test_a_page_answers_through_the_asgi_application(db) -> None:
    status, body = get("/accounts/login/")
    assert status == 200
    assert b'name="login"' in body


def test_requests_through_the_asgi_application_share_one_redis_connection(
    transactional_db, django_user_model
) -> None:
    # Each ASGI request runs in a context of its own, where Django makes a new cache object: with
    # redis-py's own pool that was a new connection to Redis for every session read. (The user
    # is committed: the application reads the session in a thread of its own.)
    user = django_user_model.objects.create_user("pools@example.com", "pools@example.com", "x")
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    cookie = [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode())]

    def connections_made() -> int:
        pools = [
            c.connection_pool
            for (url, _), c in redis_pools._clients.items()
            if url == settings.REDIS_URL
        ]
        assert pools, "the cache did not use the process's client"
        return sum(pool._created_connections for pool in pools)

    assert get("/projects/", cookie)[0] == 200  # a logged-in page: its session from the cache
    before = connections_made()
    assert [get("/projects/", cookie)[0] for _ in range(5)] == [200] * 5
    assert connections_made() == before


def test_every_cache_object_of_the_process_uses_one_redis_client() -> None:
    # Django makes a cache object per request context, and its client a redis.Redis per call
    # (86 microseconds each, more than a GET).
    first, second = caches.create_connection("default"), caches.create_connection("default")
    assert first is not second
    assert first._cache.get_client() is second._cache.get_client(write=True)
