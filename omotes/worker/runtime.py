"""The worker process: announce, heartbeat, consume job requests, report events.

One Dramatiq worker thread per slot, each running at most one job (in a child process, see
:mod:`omotes.worker.child`; one is started ahead for each free slot, so a job finds its process
ready). The broker's prefetch is held to the number of slots, so a worker
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
from typing import Any

import dramatiq
from dramatiq import Worker

from omotes import broker as omotes_broker
from omotes import logs
from omotes.influx import InfluxSettings
from omotes.protocol import (
    ActiveRun,
    CancelRequest,
    Heartbeat,
    JobError,
    JobProgress,
    JobRequest,
    JobResult,
    JobStarted,
    Payload,
    ProtocolError,
    WorkerAnnouncement,
    WorkerEvent,
    WorkerLeave,
)
from omotes.worker import calibration
from omotes.worker.child import JobProcess, Outcome, SpareProcesses, run_in_child
from omotes.worker.contention import ContentionMeter
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
        # Seconds per asset and time step of this worker's calibration run; 0 until measured.
        self.calibration_s_per_asset_step = 0.0
        # How much slower than on an idle machine a job runs now (measured while calibration is on).
        self.contention = ContentionMeter()
        references = tuple(reference for reference, _ in self.workflows.values())
        self._spares = SpareProcesses(references, self.influx)

    # -- reporting ------------------------------------------------------------------------------

    def send_event(
        self, payload: Payload, job_id: uuid.UUID | None = None, retry_s: float = 0.0
    ) -> None:
        """Publish an event; keep trying for ``retry_s`` seconds while the broker is away."""
        event = WorkerEvent.of(self.worker_id, payload, job_id)
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
                logger.warning("broker unavailable; %s event retried in %.1f s", event.kind, delay)
                time.sleep(delay)
                delay = min(delay * 2, 15.0)

    def announcement(self) -> WorkerAnnouncement:
        """Who this worker is; sent at start and again in every heartbeat."""
        return WorkerAnnouncement(
            host=self.host,
            slots=self.slots,
            workflows=tuple(describe(workflow) for _, workflow in self.workflows.values()),
            calibration_s_per_asset_step=self.calibration_s_per_asset_step,
            contention=self.contention.now(),
        )

    def _heartbeat_loop(self) -> None:
        with logs.bound(worker_id=self.worker_id):
            self._send_heartbeats()

    def _send_heartbeats(self) -> None:
        while not self._stopping.wait(self.heartbeat_s):
            announcement = self.announcement()
            with self._lock:
                running = tuple(ActiveRun(run.job_id, run.run_id) for run in self._runs.values())
            heartbeat = Heartbeat(
                announcement.host,
                announcement.slots,
                announcement.workflows,
                running,
                calibration_s_per_asset_step=announcement.calibration_s_per_asset_step,
                contention=announcement.contention,
            )
            try:
                self.send_event(heartbeat)
            except Exception:  # noqa: BLE001 - a broker hiccup must not stop the heartbeats
                logger.warning("heartbeat of worker %s not sent", self.worker_id)

    def _calibrate(self) -> None:
        """Measure this worker's speed in the background and announce it (once measured, every
        heartbeat carries it too); a job that arrives meanwhile does not wait for it."""
        with logs.bound(worker_id=self.worker_id):
            measured = calibration.calibrate()
            if measured is None or self._stopping.is_set():
                return
            self.calibration_s_per_asset_step = measured.s_per_asset_step
            logger.info(
                "calibration: %d assets x %d steps in %.2f s (%.2e s per asset and step)",
                measured.assets,
                measured.steps,
                measured.seconds,
                measured.s_per_asset_step,
            )
            try:
                self.send_event(self.announcement())
            except Exception:  # noqa: BLE001 - the next heartbeat carries it anyway
                logger.warning("announcement of the calibration not sent")

    def on_control(self, request: CancelRequest) -> None:
        """Cancel runs of a job: all of them, or all but the one the frontend keeps."""
        with self._lock:
            for run in self._runs.values():
                if run.job_id == request.job_id and run.run_id != request.keep_run:
                    logger.info("cancelling run %s of job %s", run.run_id, run.job_id)
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
        log_context = {
            "job_id": str(request.job_id),
            "run_id": run.run_id,
            "worker_id": self.worker_id,
            "request_id": request.request_id,
        }
        with logs.bound(**log_context):
            self._run(request, run, {k: v for k, v in log_context.items() if v})

    def _run(self, request: JobRequest, run: Run, log_context: dict[str, str]) -> None:
        ids = {"run_id": run.run_id, "attempt": run.attempt}
        job = f"job {request.job_id} ({request.workflow}, run {run.run_id}, attempt {run.attempt})"
        if request.workflow not in self.workflows:
            reason = f"This worker does not run workflow {request.workflow!r}."
            self.send_event(JobError(**ids, reason=reason), request.job_id, REPORT_RETRY_S)
            return
        reference, workflow = self.workflows[request.workflow]
        logger.info("%s started", job)
        with self._lock:
            self._runs[run.run_id] = run
        try:
            process = self._spares.take() or JobProcess((reference,), self.influx)
            self.contention.start(run.run_id, process.process.pid)
            self.send_event(JobStarted(**ids), request.job_id, REPORT_RETRY_S)
            last_sent = [0.0]

            def on_progress(fraction: float, message: str, step: str = "") -> None:
                now = time.monotonic()
                if now - last_sent[0] >= PROGRESS_MIN_INTERVAL_S or fraction >= 1.0:
                    last_sent[0] = now
                    progress = JobProgress(
                        **ids,
                        fraction=max(0.0, min(1.0, fraction)),
                        message=str(message)[:200],
                        step=str(step)[:100],
                    )
                    try:
                        self.send_event(progress, request.job_id)
                    except Exception:  # noqa: BLE001 - progress is best effort
                        logger.warning("progress of %s not sent", job)

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
                log_context=log_context,
                process=process,
                time_limit_advice=getattr(workflow, "time_limit_advice", ""),
            )
            if outcome.result is None and self._stopping.is_set():
                # Not the job's fault: the worker is shutting down. The frontend hears "leave"
                # and queues the job again.
                logger.warning("%s abandoned: worker stopping", job)
            elif outcome.result is None and run.cancelled.is_set():
                logger.info("%s cancelled", job)
            else:
                report = _report(outcome, **ids, contention=self.contention.end(run.run_id))
                self.send_event(report, request.job_id, REPORT_RETRY_S)
                if isinstance(report, JobResult):
                    logger.info("%s succeeded", job)
                else:
                    logger.info("%s failed: %s", job, report.reason)
        except Exception:  # noqa: BLE001 - the broker stayed away past the retry time
            logger.exception("outcome of %s could not be reported", job)
        finally:
            self.contention.end(run.run_id)
            with self._lock:
                self._runs.pop(run.run_id, None)
                free_slots = self.slots - len(self._runs)
            if not self._stopping.is_set():
                self._spares.fill(free_slots)  # after the report: it does not delay the result

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._spares.fill(self.slots)
        for name in self.workflows:
            dramatiq.actor(
                self.run_job,
                actor_name=omotes_broker.job_actor_name(name),
                queue_name=omotes_broker.workflow_queue(name),
                broker=self.broker,
            )
        self._control.start()
        self._control.ready.wait(10)
        self.send_event(self.announcement(), retry_s=REPORT_RETRY_S)
        threading.Thread(target=self._heartbeat_loop, name="heartbeat", daemon=True).start()
        if calibration.enabled():
            threading.Thread(target=self._calibrate, name="calibration", daemon=True).start()
            threading.Thread(
                target=self.contention.keep_measuring,
                args=(self._stopping,),
                name="contention",
                daemon=True,
            ).start()
        self._dramatiq_worker = Worker(
            self.broker,
            queues={omotes_broker.workflow_queue(name) for name in self.workflows},
            worker_threads=self.slots,
        )
        self._dramatiq_worker.queue_prefetch = self.slots
        self._dramatiq_worker.start()
        logger.info(
            "worker %s started: workflows %s, %d slot(s)",
            self.worker_id,
            ", ".join(self.workflows),
            self.slots,
        )

    def stop(self) -> None:
        """Graceful stop: running jobs are abandoned, and the frontend queues them again."""
        self._stopping.set()
        self._spares.close()
        self._control.stop()
        if self._dramatiq_worker:
            self._dramatiq_worker.stop(timeout=10_000)
        try:
            self.send_event(WorkerLeave())
        except Exception:  # noqa: BLE001
            logger.warning("leave not sent")
        self.broker.close()


def _report(
    outcome: Outcome, run_id: str, attempt: int, contention: float = 0.0
) -> JobResult | JobError:
    """The event that reports a finished run; a result the protocol refuses (a plug-in that
    returned a NaN KPI, a message with an unknown severity) fails the job with the reason."""
    if outcome.result is None:
        reason = outcome.error or "The run ended without a result."
        return JobError(
            run_id, attempt, reason=reason, messages=outcome.messages, logs=outcome.logs
        )
    result = outcome.result
    try:
        return JobResult(
            run_id,
            attempt,
            output_esdl=result.output_esdl,
            series=tuple(result.series),
            messages=tuple(result.messages),
            kpis=tuple(result.kpis),
            logs=outcome.logs,
            contention=contention,
        )
    except ProtocolError as exc:
        reason = f"The workflow returned a result that cannot be reported: {exc}"
        return JobError(run_id, attempt, reason=reason, logs=outcome.logs)
