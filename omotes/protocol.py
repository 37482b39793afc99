"""Messages between the frontend (orchestrator) and workers.

Every message crosses a process boundary as JSON inside a Dramatiq message. The vocabulary follows
the OMOTES SDK 4.x (job ids are client-chosen UUIDs, parameter types string/bool/int/float/datetime/
duration with default, minimum and maximum) so an adapter for existing OMOTES clients stays small.
``PROTOCOL_VERSION`` is sent with each message; a receiver refuses a major version it does not know.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PROTOCOL_VERSION = "1.0"


class ProtocolError(ValueError):
    """A message that does not follow this protocol."""


class ParameterType(enum.StrEnum):
    STRING = "string"
    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    DATETIME = "datetime"
    DURATION = "duration"  # seconds, as a number


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter a workflow accepts; the frontend renders a form field from it."""

    key: str
    type: ParameterType
    title: str
    description: str = ""
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["type"] = self.type.value
        data["options"] = list(self.options)
        if isinstance(self.default, datetime):
            data["default"] = self.default.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParameterSpec:
        return cls(
            key=data["key"],
            type=ParameterType(data["type"]),
            title=data.get("title", data["key"]),
            description=data.get("description", ""),
            default=data.get("default"),
            minimum=data.get("minimum"),
            maximum=data.get("maximum"),
            options=tuple(data.get("options", ())),
        )


@dataclass(frozen=True)
class WorkflowDescription:
    """What a worker announces about one workflow it can run."""

    name: str
    version: str
    title: str
    description: str
    parameters: tuple[ParameterSpec, ...]
    default_time_limit_s: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "parameters": [p.to_dict() for p in self.parameters],
            "default_time_limit_s": self.default_time_limit_s,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkflowDescription:
        return cls(
            name=data["name"],
            version=data["version"],
            title=data.get("title", data["name"]),
            description=data.get("description", ""),
            parameters=tuple(ParameterSpec.from_dict(p) for p in data.get("parameters", [])),
            default_time_limit_s=int(data.get("default_time_limit_s", 3600)),
        )


@dataclass(frozen=True)
class JobRequest:
    """Sent by the dispatcher to the queue of the job's workflow."""

    job_id: uuid.UUID
    workflow: str
    esdl: str
    params: dict[str, Any]
    time_limit_s: int
    attempt: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": PROTOCOL_VERSION,
            "job_id": str(self.job_id),
            "workflow": self.workflow,
            "esdl": self.esdl,
            "params": self.params,
            "time_limit_s": self.time_limit_s,
            "attempt": self.attempt,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobRequest:
        _check_version(data)
        try:
            return cls(
                job_id=uuid.UUID(data["job_id"]),
                workflow=data["workflow"],
                esdl=data["esdl"],
                params=dict(data.get("params") or {}),
                time_limit_s=int(data["time_limit_s"]),
                attempt=int(data.get("attempt", 1)),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ProtocolError(f"invalid job request: {exc}") from exc


class EventKind(enum.StrEnum):
    """What a worker reports. Job events carry a job id; worker events do not."""

    STARTED = "started"
    PROGRESS = "progress"
    RESULT = "result"
    ERROR = "error"
    ANNOUNCE = "announce"
    HEARTBEAT = "heartbeat"
    LEAVE = "leave"


@dataclass(frozen=True)
class WorkerEvent:
    """One message on the events queue.

    ``payload`` depends on the kind:
    - started: {"attempt"}
    - progress: {"fraction" (0..1), "message", "step"}
    - result: {"output_esdl", "series": [SeriesDescription dicts], "messages": [...], "logs"}
    - error: {"reason", "logs"}
    - announce: {"host", "slots", "workflows": [WorkflowDescription dicts]}
    - heartbeat: {"running": [job ids]} plus the announce payload
    - leave: {}
    """

    kind: EventKind
    worker_id: str
    sent_at: datetime
    job_id: uuid.UUID | None = None
    payload: dict[str, Any] = field(default_factory=dict)

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
    def from_dict(cls, data: dict[str, Any]) -> WorkerEvent:
        _check_version(data)
        try:
            return cls(
                kind=EventKind(data["kind"]),
                worker_id=str(data["worker_id"]),
                sent_at=datetime.fromisoformat(data["sent_at"]),
                job_id=uuid.UUID(data["job_id"]) if data.get("job_id") else None,
                payload=dict(data.get("payload") or {}),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ProtocolError(f"invalid worker event: {exc}") from exc


def _check_version(data: dict[str, Any]) -> None:
    version = str(data.get("version", ""))
    if version.split(".")[0] != PROTOCOL_VERSION.split(".")[0]:
        raise ProtocolError(f"unsupported protocol version {version!r}")
