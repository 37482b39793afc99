"""Running one job in a child process.

The child gives each job its own memory (a year of results for 1,000 assets is large), lets the
worker enforce the time limit and cancellation by killing it, and keeps libraries that misbehave
after ``fork`` (the simulator's Java bridge) away from the worker. Children come from a fork server
that has imported this module and nothing heavier (no model library, no thread started), so a
child starts in milliseconds instead of importing structlog, requests and the protocol afresh
(0.5 s of CPU per job). Each child then imports its model library itself, ahead of its job
(:class:`SpareProcesses`), so a job does not wait for it either.

The child talks to its parent over one pipe: it imports the worker's workflows and says
("ready",); the parent sends its one :class:`JobOrder`; then the child sends ("progress",
fraction, message, step) any number of times, then ("metrics", counts) and exactly one
("result", WorkflowResult, logs) or ("error", reason, logs, messages), where ``logs`` is the tail
of what the job logged (:class:`LogTail`) and ``messages`` the
:class:`~omotes.protocol.AssetMessage` list of a :class:`WorkflowError`.

The child leads a process group of its own, and a kill (time limit, cancel) goes to the whole
group: a workflow that starts processes of its own (a sequence step in another venv) leaves none
behind.
"""

from __future__ import annotations

import collections
import logging
import multiprocessing
import os
import signal
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import structlog

from omotes import logs, metrics
from omotes.influx import InfluxSettings
from omotes.protocol import AssetMessage, WorkflowError
from omotes.worker import netguard
from omotes.workflows import registry
from omotes.workflows.base import JobContext, WorkflowResult

logger = logging.getLogger(__name__)

_JOB_PROCESSES = multiprocessing.get_context("forkserver")
_JOB_PROCESSES.set_forkserver_preload([__name__])


#: The job log a result or error carries: at most this many of the last lines, each cut to
#: LOG_LINE_CHARS (a job may log a line per time step; the events queue is not a log store).
LOG_LINES = 500
LOG_LINE_CHARS = 1000


@dataclass
class Outcome:
    """How a child run ended; exactly one of result and error is set (with ``messages`` per
    ESDL object when the workflow gave them). ``logs`` is empty when the child died or was
    stopped before it could send them."""

    result: WorkflowResult | None = None
    error: str | None = None
    logs: str = ""
    messages: tuple[AssetMessage, ...] = ()


class LogTail(logging.Handler):
    """Keeps the last :data:`LOG_LINES` formatted records of the job's process."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        self.lines: collections.deque[str] = collections.deque(maxlen=LOG_LINES)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record)[:LOG_LINE_CHARS])
        except Exception:  # noqa: BLE001 - a broken log call of a plug-in must not end the job
            self.handleError(record)

    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class JobOrder:
    """What a job process needs of its job; sent to it once it is ready."""

    reference: str
    job_id: str
    esdl: str
    params: dict[str, Any]
    log_context: dict[str, str]
    handed_at: float  # time.time() when the worker handed the job over


def _child_main(references: tuple[str, ...], influx: InfluxSettings, conn: Connection) -> None:
    """A job process: import the workflows first, say "ready", then run the one job it gets.

    Importing a model library takes seconds (the simulator: numpy, pandas, scipy, pyesdl); a
    process started before its job has done it by the time the job arrives. A workflow that
    fails to import is loaded again for the job, and the job reports that failure.
    """
    os.setpgrp()
    logs.configure(process="omotes.job")
    netguard.allow_only([influx.host])
    for reference in references:
        try:
            prepare = getattr(registry.load(reference), "prepare", None)
            if prepare is not None:
                prepare()
        except Exception:  # noqa: BLE001 - reported by the job that needs this workflow
            pass
    conn.send(("ready",))
    try:
        order: JobOrder = conn.recv()
    except EOFError:  # the worker ended (or was killed) before it had a job for this process
        return
    _run_order(order, influx, conn)


def _run_order(order: JobOrder, influx: InfluxSettings, conn: Connection) -> None:
    job_id = order.job_id
    structlog.contextvars.bind_contextvars(**{**order.log_context, "job_id": job_id})
    tail = LogTail()
    logging.getLogger().addHandler(tail)
    logger.info("timing: child_start took %.3f s", time.time() - order.handed_at)
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
            workflow = registry.load(order.reference)
            began = time.perf_counter()
            result = workflow.run(order.esdl, order.params, context)
            logger.info("timing: workflow took %.3f s", time.perf_counter() - began)
            if not isinstance(result, WorkflowResult):
                raise TypeError(f"run() returned {type(result).__name__}, not a WorkflowResult")
        except WorkflowError as exc:
            logger.info("job %s failed: %s", job_id, exc)
            outcome: tuple = ("error", str(exc), exc.messages)
        except Exception as exc:  # noqa: BLE001 - any failure of a model must reach the user
            # The traceback goes to the job's log (staff see it); the user gets a sentence.
            logger.exception("job %s failed", job_id)
            outcome = ("error", unexpected_failure(exc), ())
        else:
            outcome = ("result", result, ())
        if netguard.attempts and outcome[0] == "error":
            outcome = ("error", f"{outcome[1]} {blocked_note(netguard.attempts)}", outcome[2])
        conn.send(("metrics", metrics.snapshot()))
        conn.send((outcome[0], outcome[1], tail.text(), outcome[2]))
    conn.close()


class JobProcess:
    """A child process for one job, started (and importing its workflows) before the job."""

    def __init__(self, references: tuple[str, ...], influx: InfluxSettings) -> None:
        self.conn, child_end = _JOB_PROCESSES.Pipe(duplex=True)
        self.process = _JOB_PROCESSES.Process(
            target=_child_main,
            args=(references, influx, child_end),
            name="omotes-job",
            daemon=True,
        )
        self.process.start()
        child_end.close()  # so that the child's death reads as EOF here

    def is_alive(self) -> bool:
        return self.process.is_alive()

    def stop(self) -> None:
        """Kill the process and all it started; wait for it."""
        if self.process.is_alive():
            _kill_group(self.process.pid)
            self.process.kill()
        self.process.join(10)
        self.conn.close()


class SpareProcesses:
    """Job processes kept ready for the next jobs: one for each free slot of the worker.

    A spare costs the memory of its imports (a few hundred MB with the simulator) while it
    waits. One that died while waiting is replaced by a fresh start.
    """

    def __init__(self, references: tuple[str, ...], influx: InfluxSettings) -> None:
        self.references = references
        self.influx = influx
        self._spares: list[JobProcess] = []
        self._lock = threading.Lock()
        self._closed = False

    @property
    def waiting(self) -> tuple[JobProcess, ...]:
        """The spares started and not yet taken (some may have died since)."""
        with self._lock:
            return tuple(self._spares)

    def take(self) -> JobProcess | None:
        """A spare process for a job, or None when there is none alive."""
        with self._lock:
            while self._spares:
                spare = self._spares.pop(0)
                if spare.is_alive():
                    return spare
                spare.stop()
        return None

    def fill(self, count: int) -> None:
        """Start spares until ``count`` wait (none after :meth:`close`)."""
        with self._lock:
            for dead in [spare for spare in self._spares if not spare.is_alive()]:
                self._spares.remove(dead)
                dead.stop()
            while not self._closed and len(self._spares) < count:
                self._spares.append(JobProcess(self.references, self.influx))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            spares, self._spares = self._spares, []
        for spare in spares:
            spare.stop()


def blocked_note(attempts: list[str]) -> str:
    """What the job's error adds when the job tried to connect outside the product."""
    shown = ", ".join(sorted(set(attempts))[:3])
    return f"(The job tried to connect outside the product, to {shown}; this was blocked.)"


def unexpected_failure(exc: BaseException) -> str:
    """What the user reads when a workflow failed in a way it did not explain: the exception's
    message on one line, never a traceback."""
    text = " ".join(str(exc).split())[:500]
    return (
        f"The calculation failed unexpectedly ({type(exc).__name__}"
        + (f": {text}" if text else "")
        + "). Staff can see the details in the job's log."
    )


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
    log_context: dict[str, str] | None = None,
    process: JobProcess | None = None,
    time_limit_advice: str = "",
) -> Outcome:
    """Run a workflow in a child process (``process``, started ahead, or a fresh one) and wait
    for its outcome.

    Kills the child when ``time_limit_s`` passes or ``should_stop()`` turns true, and reports a
    child that dies without an answer (out of memory, segfault, kill) as an error. A time limit
    error names what the job was doing (its last progress message) and the workflow's
    ``time_limit_advice``. The child's log lines carry ``log_context`` (the run's ids); its
    metric counts are added to this process's (:mod:`omotes.metrics`). The job is handed over
    when the child says it is ready, so a child still importing holds up neither a cancel nor
    the time limit.
    """
    doing = [""]
    # From before a fresh child's spawn, which can take seconds on a busy machine: the frontend
    # counts the limit from the job's start, and the worker's own, clearer error should come first.
    deadline = time.monotonic() + time_limit_s
    order = JobOrder(reference, str(job_id), esdl, params, dict(log_context or {}), time.time())
    process = process or JobProcess((reference,), influx)
    receiver = process.conn
    try:
        while True:
            if receiver.poll(poll_s):
                try:
                    message = receiver.recv()
                except EOFError:
                    process.process.join(5)
                    return Outcome(error=_death_reason(process.process.exitcode))
                if message[0] == "ready":
                    receiver.send(order)
                elif message[0] == "progress":
                    doing[0] = str(message[2]) if len(message) > 2 else ""
                    on_progress(*message[1:])
                elif message[0] == "metrics":
                    metrics.add(message[1])
                elif message[0] == "result":
                    return Outcome(result=message[1], logs=message[2])
                else:
                    return Outcome(error=message[1], logs=message[2], messages=message[3])
            elif not process.is_alive():
                return Outcome(error=_death_reason(process.process.exitcode))
            if time.monotonic() > deadline:
                during = f' during "{doing[0]}"' if doing[0] else ""
                advice = f" {time_limit_advice}" if time_limit_advice else ""
                return Outcome(
                    error=f"Time limit of {time_limit_s:.0f} s exceeded{during}; job stopped."
                    + advice
                )
            if should_stop():
                return Outcome(error="Job was cancelled.")
    finally:
        process.stop()


def _kill_group(pid: int) -> None:
    """Kill the child's process group (itself and any process it started)."""
    try:
        if os.getpgid(pid) == pid:  # the child has made its group (first thing it does)
            os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"The calculation process was killed by signal {-exitcode} (out of memory?)."
    return f"The calculation process ended without a result (exit code {exitcode})."
