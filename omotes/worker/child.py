"""Running one job in a child process.

The child gives each job its own memory (a year of results for 1,000 assets is large), lets the
worker enforce the time limit and cancellation by killing it, and keeps libraries that misbehave
after ``fork`` (the simulator's Java bridge) away from the worker: children are started with
``spawn``. The child talks to its parent over one pipe: ("progress", fraction, message) any number
of times, then exactly one ("result", payload) or ("error", reason).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import tempfile
import time
import traceback
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from omotes.influx import InfluxSettings
from omotes.workflows import registry
from omotes.workflows.base import JobContext, WorkflowError

logger = logging.getLogger(__name__)

_SPAWN = multiprocessing.get_context("spawn")


@dataclass
class Outcome:
    """How a child run ended; exactly one of payload and error is set."""

    payload: dict[str, Any] | None = None
    error: str | None = None


def _child_main(
    reference: str,
    job_id: str,
    esdl: str,
    params: dict[str, Any],
    influx: InfluxSettings,
    conn: Connection,
) -> None:
    logging.basicConfig(level=os.environ.get("OMOTES_LOG_LEVEL", "INFO"))
    with tempfile.TemporaryDirectory(prefix=f"omotes-job-{job_id}-") as workdir:
        os.chdir(workdir)
        context = JobContext(
            job_id=uuid.UUID(job_id),
            influx=influx,
            workdir=Path(workdir),
            progress=lambda fraction, message, step="": conn.send(
                ("progress", float(fraction), message, step)
            ),
        )
        try:
            workflow = registry.load(reference)
            result = workflow.run(esdl, params, context)
        except WorkflowError as exc:
            conn.send(("error", str(exc)))
        except Exception as exc:  # noqa: BLE001 - any failure of a model must reach the user
            logger.exception("job %s failed", job_id)
            tail = "".join(traceback.format_exception(exc)[-3:])
            conn.send(("error", f"{type(exc).__name__}: {exc}\n{tail}"))
        else:
            conn.send(
                (
                    "result",
                    {
                        "output_esdl": result.output_esdl,
                        "series": [s.to_dict() for s in result.series],
                        "messages": [m.__dict__ for m in result.messages],
                        "kpis": [k.to_dict() for k in result.kpis],
                    },
                )
            )
    conn.close()


def run_in_child(
    reference: str,
    job_id: uuid.UUID,
    esdl: str,
    params: dict[str, Any],
    influx: InfluxSettings,
    time_limit_s: float,
    on_progress,
    should_stop=lambda: False,
    poll_s: float = 0.5,
) -> Outcome:
    """Run a workflow in a fresh child process and wait for its outcome.

    Kills the child when ``time_limit_s`` passes or ``should_stop()`` turns true, and reports a
    child that dies without an answer (out of memory, segfault, kill) as an error.
    """
    receiver, sender = _SPAWN.Pipe(duplex=False)
    process = _SPAWN.Process(
        target=_child_main,
        args=(reference, str(job_id), esdl, params, influx, sender),
        name=f"omotes-job-{job_id}",
        daemon=True,
    )
    process.start()
    sender.close()
    deadline = time.monotonic() + time_limit_s
    try:
        while True:
            if receiver.poll(poll_s):
                try:
                    message = receiver.recv()
                except EOFError:
                    process.join(5)
                    return Outcome(error=_death_reason(process.exitcode))
                if message[0] == "progress":
                    on_progress(*message[1:])
                elif message[0] == "result":
                    return Outcome(payload=message[1])
                else:
                    return Outcome(error=message[1])
            elif not process.is_alive():
                return Outcome(error=_death_reason(process.exitcode))
            if time.monotonic() > deadline:
                return Outcome(error=f"Time limit of {time_limit_s:.0f} s exceeded; job stopped.")
            if should_stop():
                return Outcome(error="Job was cancelled.")
    finally:
        if process.is_alive():
            process.kill()
        process.join(10)
        receiver.close()


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"The calculation process was killed by signal {-exitcode} (out of memory?)."
    return f"The calculation process ended without a result (exit code {exitcode})."
