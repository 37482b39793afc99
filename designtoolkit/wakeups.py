"""Waking a background loop at once when there is work for it (PostgreSQL LISTEN/NOTIFY),
instead of at its next round: the dispatcher on a job's move, the profile binder on an upload.

A NOTIFY goes out when its transaction commits and is dropped on rollback, so a loop is never
woken for work that did not happen; a wake-up missed (the loop was busy or reconnecting) is
caught by the loop's own interval, which stays as the fallback.
"""

from __future__ import annotations

import threading
import time

import psycopg
from django.db import connection

#: The channel of the profile binder (``manage.py run_profile_binder``).
PROFILE_BINDER = "dt_profiles"


def notify(channel: str) -> None:
    """Wake the loops listening on ``channel`` when the current transaction commits."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, '')", [channel])


def listen(channel: str) -> psycopg.Connection:
    """A connection of its own for the wake-ups: Django's may sit in a transaction, and a
    LISTEN only hears notifications between transactions."""
    params = {
        k: v
        for k, v in connection.get_connection_params().items()
        if k not in ("cursor_factory", "context")
    }
    wake_ups = psycopg.connect(**params, autocommit=True)
    wake_ups.execute(f"LISTEN {channel}")
    return wake_ups


def wait(
    wake_ups: psycopg.Connection, timeout_s: float, stop: threading.Event | None = None
) -> None:
    """Sleep until a notification arrives on ``wake_ups``, ``timeout_s`` passes or ``stop`` is
    set (looked at every second, so a SIGTERM ends a long wait promptly)."""
    deadline = time.monotonic() + timeout_s
    while not (stop is not None and stop.is_set()):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        for _ in wake_ups.notifies(timeout=min(remaining, 1.0), stop_after=1):
            return
