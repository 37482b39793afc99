"""The worker process: announce, heartbeat, consume job requests, report events.

One Dramatiq worker thread per slot, each running at most one job (in a child process, see
:mod:`omotes.worker.child`). The broker's prefetch is held to the number of slots, so a worker
never hoards jobs that another worker could start.

Every run of a job gets its own ``run_id``: a message delivered twice (broker redelivery after a
crash, a dispatcher that resent) gives two runs, and the frontend keeps exactly one of them,
cancelling the others by run id.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dramatiq
from dramatiq import Worker

from omotes import broker as omotes_broker
from omotes.influx import InfluxSettings
from omotes.protocol import EventKind, JobRequest, ProtocolError, WorkerEvent
from omotes.worker.child import run_in_child
from omotes.worker.control import ControlListener
from omotes.workflows import registry
from omotes.workflows.base import Workflow, describe

logger = logging.getLogger(__name__)

# Progress is sent at most this often per job: the browser needs a smooth bar, not a flood.
PROGRESS_MIN_INTERVAL_S = 0.5
# A result or error is retried this long while the broker is away (a restart takes seconds).
REPORT_RETRY_S = 600.0


@dataclass
class Run:
    job_id: uuid.UUID
    run_id: str
    attempt: int
    cancelled: threading.Event = field(default_factory=threading.Event)


class WorkerRuntime:
    def __init__(
        self,
        workflow_names: list[str],
        slots: int = 1,
        worker_id: str | None = None,
        broker: dramatiq.Broker | None = None,
        influx: InfluxSettings | None = None,
        heartbeat_s: float | None = None,
    ) -> None:
        self.host = socket.gethostname()
        self.worker_id = worker_id or f"{self.host}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.slots = slots
        self.broker_url = os.environ.get("OMOTES_BROKER_URL", omotes_broker.DEFAULT_URL)
        self.broker = broker or omotes_broker.make_broker(self.broker_url)
        self.influx = influx or InfluxSettings.from_env()
        self.heartbeat_s = heartbeat_s or float(os.environ.get("OMOTES_HEARTBEAT_S", "5"))
        self.workflows: dict[str, tuple[str, Workflow]] = {}
        for name in workflow_names:
            reference = registry.reference_for(name)
            workflow = registry.load(reference)
            self.workflows[workflow.name] = (reference, workflow)
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._dramatiq_worker: Worker | None = None
        self._control = ControlListener(self.broker_url, self.on_control)

    # -- reporting ------------------------------------------------------------------------------

    def send_event(
        self,
        kind: EventKind,
        job_id: uuid.UUID | None = None,
        retry_s: float = 0.0,
        **payload: Any,
    ) -> None:
        """Publish an event; keep trying for ``retry_s`` seconds while the broker is away."""
        event = WorkerEvent(
            kind=kind,
            worker_id=self.worker_id,
            sent_at=datetime.now(UTC),
            job_id=job_id,
            payload=payload,
        )
        deadline = time.monotonic() + retry_s
        delay = 0.5
        while True:
            try:
                omotes_broker.send(
                    self.broker,
                    omotes_broker.events_queue(),
                    omotes_broker.EVENT_ACTOR,
                    event.to_dict(),
                )
                return
            except Exception:
                if time.monotonic() + delay > deadline:
                    raise
                logger.warning("broker unavailable; %s event retried in %.1f s", kind, delay)
                time.sleep(delay)
                delay = min(delay * 2, 15.0)

    def announcement(self) -> dict[str, Any]:
        """Who this worker is; sent at start and with every heartbeat, so a frontend that lost
        its worker table (restore from backup) learns it again within one heartbeat."""
        return {
            "host": self.host,
            "slots": self.slots,
            "workflows": [describe(workflow).to_dict() for _, workflow in self.workflows.values()],
        }

    def _heartbeat_loop(self) -> None:
        while not self._stopping.wait(self.heartbeat_s):
            with self._lock:
                running = [
                    {"job_id": str(run.job_id), "run_id": run.run_id} for run in self._runs.values()
                ]
            try:
                self.send_event(EventKind.HEARTBEAT, running=running, **self.announcement())
            except Exception:  # noqa: BLE001 - a broker hiccup must not stop the heartbeats
                logger.warning("heartbeat not sent", extra={"worker": self.worker_id})

    def on_control(self, message: dict[str, Any]) -> None:
        """Cancel runs of a job: all of them, or all but the one the frontend keeps."""
        if message.get("kind") != "cancel":
            return
        job_id, keep = str(message.get("job_id")), message.get("keep_run")
        with self._lock:
            for run in self._runs.values():
                if str(run.job_id) == job_id and run.run_id != keep:
                    logger.info("cancelling run", extra={"job_id": job_id, "run_id": run.run_id})
                    run.cancelled.set()

    # -- running jobs -----------------------------------------------------------------------------

    def run_job(self, body: dict[str, Any]) -> None:
        """Run one job request to its end and report it; never raises (the message is acked)."""
        try:
            request = JobRequest.from_dict(body)
        except ProtocolError:
            logger.exception("dropping malformed job request")
            return
        run = Run(request.job_id, uuid.uuid4().hex, request.attempt)
        ids = {"attempt": run.attempt, "run_id": run.run_id}
        if request.workflow not in self.workflows:
            self.send_event(
                EventKind.ERROR,
                request.job_id,
                retry_s=REPORT_RETRY_S,
                reason=f"This worker does not run workflow {request.workflow!r}.",
                **ids,
            )
            return
        reference, _ = self.workflows[request.workflow]
        log_extra = {"job_id": str(request.job_id), "workflow": request.workflow, **ids}
        logger.info("job started", extra=log_extra)
        with self._lock:
            self._runs[run.run_id] = run
        try:
            self.send_event(EventKind.STARTED, request.job_id, retry_s=REPORT_RETRY_S, **ids)
            last_sent = [0.0]

            def on_progress(fraction: float, message: str, step: str = "") -> None:
                now = time.monotonic()
                if now - last_sent[0] >= PROGRESS_MIN_INTERVAL_S or fraction >= 1.0:
                    last_sent[0] = now
                    try:
                        self.send_event(
                            EventKind.PROGRESS,
                            request.job_id,
                            fraction=max(0.0, min(1.0, fraction)),
                            message=message[:200],
                            step=step,
                            **ids,
                        )
                    except Exception:  # noqa: BLE001 - progress is best effort
                        logger.warning("progress not sent", extra=log_extra)

            on_progress(0.0, "starting")
            outcome = run_in_child(
                reference,
                request.job_id,
                request.esdl,
                request.params,
                self.influx,
                request.time_limit_s,
                on_progress,
                should_stop=lambda: run.cancelled.is_set() or self._stopping.is_set(),
            )
            if outcome.payload is None and self._stopping.is_set():
                # Not the job's fault: the worker is shutting down. The frontend hears "leave"
                # and queues the job again.
                logger.warning("job abandoned: worker stopping", extra=log_extra)
            elif outcome.payload is None and run.cancelled.is_set():
                logger.info("run cancelled", extra=log_extra)
            elif outcome.payload is not None:
                self.send_event(
                    EventKind.RESULT,
                    request.job_id,
                    retry_s=REPORT_RETRY_S,
                    **ids,
                    **outcome.payload,
                )
                logger.info("job succeeded", extra=log_extra)
            else:
                self.send_event(
                    EventKind.ERROR,
                    request.job_id,
                    retry_s=REPORT_RETRY_S,
                    reason=outcome.error,
                    **ids,
                )
                logger.info("job failed: %s", outcome.error, extra=log_extra)
        except Exception:  # noqa: BLE001 - the broker stayed away past the retry time
            logger.exception("job outcome could not be reported", extra=log_extra)
        finally:
            with self._lock:
                self._runs.pop(run.run_id, None)

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        for name in self.workflows:
            dramatiq.actor(
                self.run_job,
                actor_name=omotes_broker.job_actor_name(name),
                queue_name=omotes_broker.workflow_queue(name),
                broker=self.broker,
            )
        self._control.start()
        self._control.ready.wait(10)
        self.send_event(EventKind.ANNOUNCE, retry_s=REPORT_RETRY_S, **self.announcement())
        threading.Thread(target=self._heartbeat_loop, name="heartbeat", daemon=True).start()
        self._dramatiq_worker = Worker(
            self.broker,
            queues={omotes_broker.workflow_queue(name) for name in self.workflows},
            worker_threads=self.slots,
        )
        self._dramatiq_worker.queue_prefetch = self.slots
        self._dramatiq_worker.start()
        logger.info(
            "worker started",
            extra={
                "worker": self.worker_id,
                "workflows": list(self.workflows),
                "slots": self.slots,
            },
        )

    def stop(self) -> None:
        """Graceful stop: running jobs are abandoned, and the frontend queues them again."""
        self._stopping.set()
        self._control.stop()
        if self._dramatiq_worker:
            self._dramatiq_worker.stop(timeout=10_000)
        try:
            self.send_event(EventKind.LEAVE)
        except Exception:  # noqa: BLE001
            logger.warning("leave not sent")
        self.broker.close()
