"""The worker process: announce, heartbeat, consume job requests, report events.

One Dramatiq worker thread per slot, each running at most one job (in a child process, see
:mod:`omotes.worker.child`). The broker's prefetch is held to the number of slots, so a worker
never hoards jobs that another worker could start.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import dramatiq
from dramatiq import Worker

from omotes import broker as omotes_broker
from omotes.influx import InfluxSettings
from omotes.protocol import EventKind, JobRequest, ProtocolError, WorkerEvent
from omotes.worker.child import run_in_child
from omotes.workflows import registry
from omotes.workflows.base import Workflow, describe

logger = logging.getLogger(__name__)

# Progress is sent at most this often per job: the browser needs a smooth bar, not a flood.
PROGRESS_MIN_INTERVAL_S = 0.5


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
        self.broker = broker or omotes_broker.make_broker()
        self.influx = influx or InfluxSettings.from_env()
        self.heartbeat_s = heartbeat_s or float(os.environ.get("OMOTES_HEARTBEAT_S", "5"))
        self.workflows: dict[str, tuple[str, Workflow]] = {}
        for name in workflow_names:
            reference = registry.reference_for(name)
            workflow = registry.load(reference)
            self.workflows[workflow.name] = (reference, workflow)
        self._running: set[uuid.UUID] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._dramatiq_worker: Worker | None = None

    # -- reporting ------------------------------------------------------------------------------

    def send_event(self, kind: EventKind, job_id: uuid.UUID | None = None, **payload: Any) -> None:
        event = WorkerEvent(
            kind=kind,
            worker_id=self.worker_id,
            sent_at=datetime.now(UTC),
            job_id=job_id,
            payload=payload,
        )
        omotes_broker.send(
            self.broker, omotes_broker.events_queue(), omotes_broker.EVENT_ACTOR, event.to_dict()
        )

    def announcement(self) -> dict[str, Any]:
        """Who this worker is; sent at start and with every heartbeat, so a frontend that lost
        its worker table (restore from backup) learns it again within one heartbeat."""
        return {
            "host": self.host,
            "slots": self.slots,
            "workflows": [describe(workflow).to_dict() for _, workflow in self.workflows.values()],
        }

    def announce(self) -> None:
        self.send_event(EventKind.ANNOUNCE, **self.announcement())

    def _heartbeat_loop(self) -> None:
        while not self._stopping.wait(self.heartbeat_s):
            with self._lock:
                running = [str(job_id) for job_id in self._running]
            try:
                self.send_event(EventKind.HEARTBEAT, running=running, **self.announcement())
            except Exception:  # noqa: BLE001 - a broker hiccup must not stop the heartbeats
                logger.warning(
                    "heartbeat not sent", exc_info=True, extra={"worker": self.worker_id}
                )

    # -- running jobs -----------------------------------------------------------------------------

    def run_job(self, body: dict[str, Any]) -> None:
        """Run one job request to its end and report it; never raises (the message is acked)."""
        try:
            request = JobRequest.from_dict(body)
        except ProtocolError:
            logger.exception("dropping malformed job request")
            return
        if request.workflow not in self.workflows:
            self.send_event(
                EventKind.ERROR,
                request.job_id,
                reason=f"This worker does not run workflow {request.workflow!r}.",
            )
            return
        reference, _ = self.workflows[request.workflow]
        log_extra = {"job_id": str(request.job_id), "workflow": request.workflow}
        logger.info("job started", extra=log_extra)
        with self._lock:
            self._running.add(request.job_id)
        try:
            self.send_event(EventKind.STARTED, request.job_id, attempt=request.attempt)
            self.send_event(
                EventKind.PROGRESS, request.job_id, fraction=0.0, message="starting", step=""
            )
            last_sent = [0.0]

            def on_progress(fraction: float, message: str) -> None:
                now = time.monotonic()
                if now - last_sent[0] >= PROGRESS_MIN_INTERVAL_S:
                    last_sent[0] = now
                    self.send_event(
                        EventKind.PROGRESS,
                        request.job_id,
                        fraction=max(0.0, min(1.0, fraction)),
                        message=message[:200],
                        step=request.workflow,
                    )

            outcome = run_in_child(
                reference,
                request.job_id,
                request.esdl,
                request.params,
                self.influx,
                request.time_limit_s,
                on_progress,
                should_stop=self._stopping.is_set,
            )
            if outcome.payload is None and self._stopping.is_set():
                # Not the job's fault: the worker is shutting down. The frontend hears "leave"
                # and deals with the jobs this worker held.
                logger.warning("job abandoned: worker stopping", extra=log_extra)
            elif outcome.payload is not None:
                self.send_event(EventKind.RESULT, request.job_id, **outcome.payload)
                logger.info("job succeeded", extra=log_extra)
            else:
                self.send_event(EventKind.ERROR, request.job_id, reason=outcome.error)
                logger.info("job failed: %s", outcome.error, extra=log_extra)
        finally:
            with self._lock:
                self._running.discard(request.job_id)

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        for name in self.workflows:
            dramatiq.actor(
                self.run_job,
                actor_name=omotes_broker.job_actor_name(name),
                queue_name=omotes_broker.workflow_queue(name),
                broker=self.broker,
            )
        self.announce()
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
        """Graceful stop: running jobs are abandoned (and redelivered), the frontend is told."""
        self._stopping.set()
        if self._dramatiq_worker:
            self._dramatiq_worker.stop(timeout=10_000)
        try:
            self.send_event(EventKind.LEAVE)
        except Exception:  # noqa: BLE001
            logger.warning("leave not sent", exc_info=True)
        self.broker.close()
