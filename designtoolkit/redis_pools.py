"""One Redis client, with its connection pool, per process and server: Django's cache (and so the
sessions it holds) and our own Redis keys share them.

Django keeps its cache objects in a context-local store. Under ASGI every request runs in a
context of its own, so each request built a new ``RedisCache``, a new connection pool and a new
TCP connection to Redis (with redis-py's hand-shake commands) just to read the session: one
connection a request, measured with Redis's ``total_connections_received``. And Django's cache
makes a new ``redis.Redis`` for every call, which costs more than the GET it sends (86 against
53 microseconds here: the client builds its table of reply parsers each time).
"""

from __future__ import annotations

import threading
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

_lock = threading.Lock()
_clients: dict[tuple[str, tuple[tuple[str, Any], ...]], redis.Redis] = {}


def client(url: str, **options: Any) -> redis.Redis:
    """The process's client for ``url`` and ``options``, made on first use. A client is safe to
    share between threads (each command takes a connection from the pool), and its pool notices
    a fork (it checks the process id) and starts afresh in the child."""
    key = (url, tuple(sorted(options.items())))
    with _lock:
        if key not in _clients:
            _clients[key] = redis.Redis.from_url(url, **options)
        return _clients[key]


class _ProcessCacheClient(RedisCacheClient):
    def get_client(self, key: Any = None, *, write: bool = False) -> redis.Redis:
        url = self._servers[self._get_connection_pool_index(write)]
        return client(url, **self._pool_options)


class RedisCache(DjangoRedisCache):
    """Django's Redis cache over the process's clients (``CACHES`` backend)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ProcessCacheClient
