"""JSON log lines for every process of the toolkit (web app, dispatcher, events consumer, workers).

One line per record on stdout: ``timestamp``, ``level``, ``logger``, ``process`` (which program),
``pid``, ``event`` (the message), the ids bound to the context (``job_id``, ``run_id``,
``worker_id``, ``user_id``, ``request_id``: see :func:`bound`) and whatever a call passed in
``extra=``. So a job's story across processes is one ``grep <request or job id>`` over the logs.

Built on structlog's bridge to the standard library (``ProcessorFormatter``): code keeps logging
through ``logging.getLogger(__name__)``, libraries' records come out as JSON too. Context lives in
``contextvars`` (structlog.contextvars), so it follows a request through asyncio tasks and
``sync_to_async`` threads, and is empty in a new thread until that thread binds its own.
"""

from __future__ import annotations

import logging
import logging.config
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog

#: The context keys the toolkit binds; other keys may be bound too, these are the documented ones.
CONTEXT_KEYS = ("job_id", "run_id", "worker_id", "user_id", "request_id")


def process_name(argv: list[str] | None = None) -> str:
    """Which program this process is: ``DT_PROCESS_NAME``, else the Django command
    (``run_dispatcher``), else the module or script (``webserver``, ``omotes.worker``)."""
    if os.environ.get("DT_PROCESS_NAME"):
        return os.environ["DT_PROCESS_NAME"]
    argv = sys.argv if argv is None else argv
    if not argv:
        return "python"
    script = Path(argv[0])
    if script.name == "manage.py" and len(argv) > 1:
        return argv[1]
    if script.name == "__main__.py":
        return script.parent.name
    return script.stem or "python"


def _add_process(name: str):
    pid = os.getpid()

    def add(_, __, event_dict: dict[str, Any]) -> dict[str, Any]:
        event_dict.setdefault("process", name)
        event_dict.setdefault("pid", pid)
        return event_dict

    return add


def _chain(name: str) -> list:
    """What every record gets before it is rendered, whether from structlog or the stdlib."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_process(name),
    ]


def logging_config(level: str = "INFO", process: str | None = None) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict: JSON lines on stdout (Django's ``LOGGING``)."""
    name = process or process_name()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": _chain(name),
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer(default=str),
                ],
            }
        },
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "stream": sys.stdout, "formatter": "json"}
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            name: {"level": "WARNING"} for name in ("daphne", "pika", "dramatiq", "asyncio")
        },
    }


def apply(config: dict[str, Any]) -> None:
    """Apply a :func:`logging_config` (Django's ``LOGGING_CONFIG``): Python warnings and
    uncaught exceptions become JSON lines too, so nothing else reaches the log."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)
    uncaught = logging.getLogger("uncaught")

    def log_exception(kind, value, traceback) -> None:
        uncaught.critical("uncaught exception", exc_info=(kind, value, traceback))

    sys.excepthook = log_exception
    threading.excepthook = lambda args: log_exception(
        args.exc_type, args.exc_value, args.exc_traceback
    )


def configure(level: str | None = None, process: str | None = None) -> None:
    """Set up JSON logging in a process that is not Django's (a worker, a job's child)."""
    apply(logging_config(level or os.environ.get("OMOTES_LOG_LEVEL", "INFO"), process))


@contextmanager
def bound(**ids: Any) -> Iterator[None]:
    """Add ids to every log line of this context (thread or task) until the block ends; empty
    values are left out."""
    with structlog.contextvars.bound_contextvars(
        **{key: str(value) for key, value in ids.items() if value not in (None, "")}
    ):
        yield


def current(key: str) -> str | None:
    """The value bound for ``key`` in this context, if any (e.g. the request id)."""
    value = structlog.contextvars.get_contextvars().get(key)
    return str(value) if value is not None else None
