"""One Redis connection pool per process for Django's cache (and so for the sessions it holds).

Django keeps its cache objects in a context-local store. Under ASGI every request runs in a
context of its own, so each request built a new ``RedisCache``, a new connection pool and a new
TCP connection to Redis (with redis-py's hand-shake commands) just to read the session: one
connection a request, measured with Redis's ``total_connections_received``. Handing Django this
pool class keeps one pool per URL and options for the whole process, whichever request asks.
"""

from __future__ import annotations

import threading
from typing import Any

import redis

_lock = threading.Lock()
_pools: dict[tuple[str, tuple[tuple[str, Any], ...]], redis.ConnectionPool] = {}


class ProcessConnectionPool(redis.ConnectionPool):
    """``from_url`` gives the process's pool for that URL and options, made on first use.

    redis-py's pool notices a fork (it checks the process id) and starts afresh in the child.
    """

    @classmethod
    def from_url(cls, url: str, **options: Any) -> redis.ConnectionPool:
        key = (url, tuple(sorted(options.items())))
        with _lock:
            if key not in _pools:
                _pools[key] = super().from_url(url, **options)
            return _pools[key]
