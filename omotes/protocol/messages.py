"""The messages: job requests, worker events and their payloads, cancel requests."""

from __future__ import annotations

import enum
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from omotes.protocol.fields import (
    PROTOCOL_VERSION,
    Fields,
    ProtocolError,
    check,
    check_items,
    check_text,
    is_int,
    is_number,
    parse_datetime,
    set_field,
    short,
)
from omotes.protocol.outputs import AssetMessage, Kpi, SeriesDescription
from omotes.protocol.schema import WORKFLOW_NAME, WorkflowDescription

# -- the frontend to a worker -----------------------------------------------------------------


@dataclass(frozen=True)
class JobRequest:
    """Sent by the dispatcher to the queue of the job's workflow.

    ``attempt`` counts from 1; a message delivered twice carries the same attempt.
    ``request_id`` is the id of the web request that submitted the job (empty if none): the
    worker puts it on its log lines, so one grep follows a job across processes.
    """

    job_id: uuid.UUID
    workflow: str
    esdl: str
    params: dict[str, Any]
    time_limit_s: int
    attempt: int = 1
    request_id: str = ""

    def __post_init__(self) -> None:
        what = "job request"
        check(isinstance(self.job_id, uuid.UUID), what, "job_id must be a UUID")
        check(
            isinstance(self.workflow, str) and WORKFLOW_NAME.fullmatch(self.workflow) is not None,
            what,
            f"workflow {short(self.workflow)} is not a workflow name",
        )
        check_text(self.esdl, what, "esdl")
        check(
            isinstance(self.params, Mapping) and all(isinstance(k, str) for k in self.params),
            what,
            "params must be an object with text keys",
        )
        check(
            is_int(self.time_limit_s) and self.time_limit_s > 0,
            what,
            "time_limit_s must be a positive whole number of seconds",
        )
        check(is_int(self.attempt) and self.attempt >= 1, what, "attempt counts from 1")
        check(
            isinstance(self.request_id, str) and len(self.request_id) <= 100,
            what,
            "request_id must be text of at most 100 characters",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": PROTOCOL_VERSION,
            "job_id": str(self.job_id),
            "workflow": self.workflow,
            "esdl": self.esdl,
            "params": dict(self.params),
            "time_limit_s": self.time_limit_s,
            "attempt": self.attempt,
            "request_id": self.request_id,
        }

    @classmethod
    def from_dict(cls, data: Any) -> JobRequest:
        fields = Fields(data, "job request")
        fields.version()
        return cls(
            job_id=fields.uuid("job_id"),
            workflow=fields.text("workflow"),
            esdl=fields.text("esdl"),
            params=dict(fields.mapping("params", {})),
            time_limit_s=fields.integer("time_limit_s"),
            attempt=fields.integer("attempt", 1),
            request_id=fields.text("request_id", ""),
        )


@dataclass(frozen=True)
class CancelRequest:
    """Stop the runs of a job: all of them, or all but ``keep_run``.

    Broadcast to every worker on the control exchange and not stored for absent ones; the
    frontend repeats it in answer to a heartbeat that lists a run it does not count.
    """

    kind: ClassVar[str] = "cancel"

    job_id: uuid.UUID
    keep_run: str | None = None

    def __post_init__(self) -> None:
        check(isinstance(self.job_id, uuid.UUID), "cancel request", "job_id must be a UUID")
        check(
            self.keep_run is None or isinstance(self.keep_run, str),
            "cancel request",
            "keep_run must be text",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": PROTOCOL_VERSION,
            "kind": self.kind,
            "job_id": str(self.job_id),
            "keep_run": self.keep_run,
        }

    @classmethod
    def from_dict(cls, data: Any) -> CancelRequest:
        fields = Fields(data, "control message")
        fields.version()
        kind = fields.text("kind")
        check(kind == cls.kind, "control message", f"unknown kind {kind!r}")
        return cls(job_id=fields.uuid("job_id"), keep_run=fields.text("keep_run", None))


# -- a worker to the frontend -----------------------------------------------------------------


class EventKind(enum.StrEnum):
    """What a worker reports. Job events carry a job id; worker events do not."""

    STARTED = "started"
    PROGRESS = "progress"
    RESULT = "result"
    ERROR = "error"
    ANNOUNCE = "announce"
    HEARTBEAT = "heartbeat"
    LEAVE = "leave"


JOB_EVENTS = frozenset({EventKind.STARTED, EventKind.PROGRESS, EventKind.RESULT, EventKind.ERROR})


def _check_contention(value: Any, what: str) -> None:
    check(
        is_number(value) and math.isfinite(value) and (value == 0 or value >= 1),
        what,
        "contention must be 0 (not measured) or a number >= 1",
    )


@dataclass(frozen=True)
class JobPayload:
    """What every job event says besides its kind: which run of the job it is about.

    Each delivery of a job request is a run of its own (``run_id``); the frontend counts exactly
    one run per job and cancels the others by run id.
    """

    kind: ClassVar[EventKind]

    run_id: str
    attempt: int

    def __post_init__(self) -> None:
        what = f"{self.kind} payload"
        check_text(self.run_id, what, "run_id", allow_empty=False)
        check(is_int(self.attempt) and self.attempt >= 1, what, "attempt counts from 1")

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "attempt": self.attempt}

    @staticmethod
    def _run(fields: Fields) -> dict[str, Any]:
        return {"run_id": fields.text("run_id"), "attempt": fields.integer("attempt")}


@dataclass(frozen=True)
class JobStarted(JobPayload):
    kind: ClassVar[EventKind] = EventKind.STARTED

    @classmethod
    def from_dict(cls, data: Any) -> JobStarted:
        return cls(**cls._run(Fields(data, "started payload")))


@dataclass(frozen=True, kw_only=True)
class JobProgress(JobPayload):
    """``fraction`` of the job done (0..1); ``step`` names the running step of a sequence."""

    kind: ClassVar[EventKind] = EventKind.PROGRESS

    fraction: float
    message: str = ""
    step: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        what = "progress payload"
        check(
            is_number(self.fraction) and 0.0 <= self.fraction <= 1.0,
            what,
            f"fraction must be between 0 and 1, not {short(self.fraction)}",
        )
        check_text(self.message, what, "message")
        check_text(self.step, what, "step")

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "fraction": self.fraction,
            "message": self.message,
            "step": self.step,
        }

    @classmethod
    def from_dict(cls, data: Any) -> JobProgress:
        fields = Fields(data, "progress payload")
        return cls(
            **cls._run(fields),
            fraction=fields.number("fraction"),
            message=fields.text("message", ""),
            step=fields.text("step", ""),
        )


@dataclass(frozen=True, kw_only=True)
class JobResult(JobPayload):
    """A run that succeeded: the output ESDL, the series it wrote to the job's database
    (:func:`~omotes.protocol.job_database`), messages per ESDL object, KPIs and the tail of the
    run's log."""

    kind: ClassVar[EventKind] = EventKind.RESULT

    output_esdl: str
    series: tuple[SeriesDescription, ...] = ()
    messages: tuple[AssetMessage, ...] = ()
    kpis: tuple[Kpi, ...] = ()
    logs: str = ""
    # How much slower than on an idle machine the run went, on average (the worker's probes,
    # omotes.worker.contention); 0: not measured.
    contention: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        what = "result payload"
        _check_contention(self.contention, what)
        check_text(self.output_esdl, what, "output_esdl")
        for name, kind in (
            ("series", SeriesDescription),
            ("messages", AssetMessage),
            ("kpis", Kpi),
        ):
            set_field(self, name, tuple(getattr(self, name)))
            check_items(getattr(self, name), kind, what, name)
        check_text(self.logs, what, "logs")

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "output_esdl": self.output_esdl,
            "series": [s.to_dict() for s in self.series],
            "messages": [m.to_dict() for m in self.messages],
            "kpis": [k.to_dict() for k in self.kpis],
            "logs": self.logs,
            "contention": self.contention,
        }

    @classmethod
    def from_dict(cls, data: Any) -> JobResult:
        fields = Fields(data, "result payload")
        return cls(
            **cls._run(fields),
            output_esdl=fields.text("output_esdl"),
            series=tuple(SeriesDescription.from_dict(s) for s in fields.items("series")),
            messages=tuple(AssetMessage.from_dict(m) for m in fields.items("messages")),
            kpis=tuple(Kpi.from_dict(k) for k in fields.items("kpis")),
            logs=fields.text("logs", ""),
            contention=fields.number("contention", 0.0),
        )


@dataclass(frozen=True, kw_only=True)
class JobError(JobPayload):
    """A run that failed: ``reason`` is shown to the user; ``messages`` say what is wrong per
    ESDL object where the workflow knows (an infeasible design: which demands, which assets);
    ``logs`` is the tail of the run's log (empty when its process died or was killed)."""

    kind: ClassVar[EventKind] = EventKind.ERROR

    reason: str
    messages: tuple[AssetMessage, ...] = ()
    logs: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.reason, "error payload", "reason", allow_empty=False)
        set_field(self, "messages", tuple(self.messages))
        check_items(self.messages, AssetMessage, "error payload", "messages")
        check_text(self.logs, "error payload", "logs")

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "reason": self.reason,
            "messages": [m.to_dict() for m in self.messages],
            "logs": self.logs,
        }

    @classmethod
    def from_dict(cls, data: Any) -> JobError:
        fields = Fields(data, "error payload")
        return cls(
            **cls._run(fields),
            reason=fields.text("reason"),
            messages=tuple(AssetMessage.from_dict(m) for m in fields.items("messages")),
            logs=fields.text("logs", ""),
        )


@dataclass(frozen=True)
class WorkerAnnouncement:
    """Who a worker is: its host, how many jobs it runs at once, the workflows it offers, and
    how fast it is: the seconds per asset and time step of the calibration run it made when it
    started (:mod:`omotes.worker.calibration`; 0 until measured, or when it could not be), and
    how much slower than that a job would run now, the machine being shared (``contention``,
    :mod:`omotes.worker.contention`; 0 until measured)."""

    kind: ClassVar[EventKind] = EventKind.ANNOUNCE

    host: str
    slots: int
    workflows: tuple[WorkflowDescription, ...]
    # Keyword-only, so a Heartbeat's own fields keep their places.
    calibration_s_per_asset_step: float = field(default=0.0, kw_only=True)
    contention: float = field(default=0.0, kw_only=True)

    def __post_init__(self) -> None:
        what = f"{self.kind} payload"
        _check_contention(self.contention, what)
        check_text(self.host, what, "host")
        check(is_int(self.slots) and self.slots >= 1, what, "slots must be at least 1")
        set_field(self, "workflows", tuple(self.workflows))
        check_items(self.workflows, WorkflowDescription, what, "workflows")
        check(
            is_number(self.calibration_s_per_asset_step)
            and math.isfinite(self.calibration_s_per_asset_step)
            and self.calibration_s_per_asset_step >= 0,
            what,
            "calibration_s_per_asset_step must be a number >= 0",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "slots": self.slots,
            "workflows": [w.to_dict() for w in self.workflows],
            "calibration_s_per_asset_step": self.calibration_s_per_asset_step,
            "contention": self.contention,
        }

    @staticmethod
    def _worker(fields: Fields) -> dict[str, Any]:
        return {
            "host": fields.text("host", ""),
            "slots": fields.integer("slots", 1),
            "workflows": tuple(WorkflowDescription.from_dict(w) for w in fields.items("workflows")),
            "calibration_s_per_asset_step": fields.number("calibration_s_per_asset_step", 0.0),
            "contention": fields.number("contention", 0.0),
        }

    @classmethod
    def from_dict(cls, data: Any) -> WorkerAnnouncement:
        return cls(**cls._worker(Fields(data, "announce payload")))


@dataclass(frozen=True)
class ActiveRun:
    """A run a worker has in hand, as its heartbeats list it."""

    job_id: uuid.UUID
    run_id: str

    def __post_init__(self) -> None:
        check(isinstance(self.job_id, uuid.UUID), "running job", "job_id must be a UUID")
        check_text(self.run_id, "running job", "run_id", allow_empty=False)

    def to_dict(self) -> dict[str, Any]:
        return {"job_id": str(self.job_id), "run_id": self.run_id}

    @classmethod
    def from_dict(cls, data: Any) -> ActiveRun:
        fields = Fields(data, "running job")
        return cls(job_id=fields.uuid("job_id"), run_id=fields.text("run_id"))


@dataclass(frozen=True)
class Heartbeat(WorkerAnnouncement):
    """The announcement again, so a frontend that lost its worker table (restore from backup)
    learns it within one heartbeat, and the runs the worker has, so the frontend can stop those
    it does not count."""

    kind: ClassVar[EventKind] = EventKind.HEARTBEAT

    running: tuple[ActiveRun, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        set_field(self, "running", tuple(self.running))
        check_items(self.running, ActiveRun, "heartbeat payload", "running")

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "running": [r.to_dict() for r in self.running]}

    @classmethod
    def from_dict(cls, data: Any) -> Heartbeat:
        fields = Fields(data, "heartbeat payload")
        running = tuple(ActiveRun.from_dict(r) for r in fields.items("running"))
        return cls(**cls._worker(fields), running=running)


@dataclass(frozen=True)
class WorkerLeave:
    """A worker stops gracefully; the jobs it was running are to be queued again."""

    kind: ClassVar[EventKind] = EventKind.LEAVE

    def to_dict(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_dict(cls, data: Any) -> WorkerLeave:
        Fields(data, "leave payload")
        return cls()


Payload = (
    JobStarted | JobProgress | JobResult | JobError | WorkerAnnouncement | Heartbeat | WorkerLeave
)

#: The payload class of each event kind.
PAYLOAD_TYPES: dict[EventKind, type[Payload]] = {
    cls.kind: cls
    for cls in (
        JobStarted,
        JobProgress,
        JobResult,
        JobError,
        WorkerAnnouncement,
        Heartbeat,
        WorkerLeave,
    )
}


def parse_payload(kind: EventKind | str, data: Any) -> Payload:
    """The typed payload of an event of ``kind``; ProtocolError when it does not fit."""
    try:
        payload_type = PAYLOAD_TYPES[EventKind(kind)]
    except ValueError:
        raise ProtocolError(f"worker event: unknown kind {short(kind)}") from None
    return payload_type.from_dict(data)


def _check_job_id(kind: EventKind, job_id: uuid.UUID | None) -> None:
    check(
        (job_id is not None) == (kind in JOB_EVENTS),
        f"{kind} event",
        "a job event needs a job id; a worker event has none",
    )


@dataclass(frozen=True)
class WorkerEvent:
    """One message on the events queue: its kind, who sent it when, and its payload.

    ``payload`` is the JSON object of the kind's payload class (:data:`PAYLOAD_TYPES`), kept as
    a dict for consumers that read a few keys; :meth:`typed_payload` gives the dataclass. Job
    events (:data:`JOB_EVENTS`) carry the job's id, worker events (announce, heartbeat, leave)
    none. Workers build events with :meth:`of`.
    """

    kind: EventKind
    worker_id: str
    sent_at: datetime
    job_id: uuid.UUID | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        worker_id: str,
        payload: Payload,
        job_id: uuid.UUID | None = None,
        sent_at: datetime | None = None,
    ) -> WorkerEvent:
        _check_job_id(payload.kind, job_id)
        return cls(
            kind=payload.kind,
            worker_id=worker_id,
            sent_at=sent_at or datetime.now(UTC),
            job_id=job_id,
            payload=payload.to_dict(),
        )

    def typed_payload(self) -> Payload:
        return parse_payload(self.kind, self.payload)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": PROTOCOL_VERSION,
            "kind": self.kind.value,
            "worker_id": self.worker_id,
            "sent_at": self.sent_at.isoformat(),
            "job_id": str(self.job_id) if self.job_id else None,
            "payload": self.payload,
        }

    @classmethod
    def from_dict(cls, data: Any) -> WorkerEvent:
        """Read and check an event, its payload included (normalised: defaults filled in)."""
        fields = Fields(data, "worker event")
        fields.version()
        kind_name = fields.text("kind")
        try:
            kind = EventKind(kind_name)
        except ValueError:
            raise ProtocolError(f"worker event: unknown kind {kind_name!r}") from None
        sent_at = parse_datetime(fields.text("sent_at"))
        check(sent_at is not None, "worker event", "'sent_at' must be an ISO 8601 datetime")
        job_id = fields.uuid("job_id", None)
        _check_job_id(kind, job_id)
        return cls(
            kind=kind,
            worker_id=fields.text("worker_id"),
            sent_at=sent_at,
            job_id=job_id,
            payload=parse_payload(kind, fields.mapping("payload", {})).to_dict(),
        )
