"""Messages between the frontend (orchestrator) and workers, and the names both sides share.

Every message crosses a process boundary as JSON (queues in :mod:`omotes.broker`): a
:class:`JobRequest` on the queue of the job's workflow, a :class:`WorkerEvent` on the events
queue, a :class:`CancelRequest` on the control exchange. Each message, and each part of one, is
a frozen dataclass that checks itself when it is built, so a worker cannot send what a receiver
would refuse. ``to_dict`` gives its JSON form and ``from_dict`` reads it back
(``from_dict(m.to_dict()) == m``), raising :class:`ProtocolError` that names the message and the
field at fault; it ignores fields it does not know, so a minor version may add optional ones.
``PROTOCOL_VERSION`` travels with each message, and a receiver refuses a major version it does
not know.

The vocabulary follows the OMOTES SDK 4.x (``omotes-sdk-protocol``, ``job.proto`` and
``workflow.proto``), so an adapter for existing OMOTES clients stays small:

=========================================  =====================================================
here                                       OMOTES SDK 4.x
=========================================  =====================================================
JobRequest job_id (UUID), workflow, esdl,  JobSubmission uuid, workflow_type, esdl, params_dict,
params, time_limit_s                       timeout_ms
JobProgress fraction (0..1), message       JobProgressUpdate progress, message
JobResult output_esdl, logs, messages      JobResult (SUCCEEDED) output_esdl, logs,
                                           esdl_messages
AssetMessage severity, message,            EsdlMessage severity, technical_message,
esdl_object_id                             esdl_object_id
JobError reason, logs                      JobResult (ERROR) logs
CancelRequest job_id                       JobCancel uuid
ParameterSpec string (options), bool,      WorkflowParameter string (enum_options), boolean,
int, float, datetime, duration; default,   integer, float, datetime, duration; default,
minimum, maximum                           minimum, maximum
=========================================  =====================================================

The package is split by topic; import every name from ``omotes.protocol``:
:mod:`~omotes.protocol.schema` (what a workflow declares), :mod:`~omotes.protocol.outputs`
(what a job produces), :mod:`~omotes.protocol.messages` (the messages),
:mod:`~omotes.protocol.fields` (reading and checking fields).
"""

from omotes.protocol.fields import PROTOCOL_VERSION, ProtocolError
from omotes.protocol.messages import (
    JOB_EVENTS,
    PAYLOAD_TYPES,
    ActiveRun,
    CancelRequest,
    EventKind,
    Heartbeat,
    JobError,
    JobPayload,
    JobProgress,
    JobRequest,
    JobResult,
    JobStarted,
    Payload,
    WorkerAnnouncement,
    WorkerEvent,
    WorkerLeave,
    parse_payload,
)
from omotes.protocol.outputs import (
    AssetMessage,
    Kpi,
    SeriesDescription,
    Severity,
    WorkflowError,
    job_database,
)
from omotes.protocol.schema import (
    DERIVATIONS,
    ParameterSpec,
    ParameterType,
    WorkflowDescription,
)

__all__ = [
    "DERIVATIONS",
    "JOB_EVENTS",
    "PAYLOAD_TYPES",
    "PROTOCOL_VERSION",
    "ActiveRun",
    "AssetMessage",
    "CancelRequest",
    "EventKind",
    "Heartbeat",
    "JobError",
    "JobPayload",
    "JobProgress",
    "JobRequest",
    "JobResult",
    "JobStarted",
    "Kpi",
    "ParameterSpec",
    "ParameterType",
    "Payload",
    "ProtocolError",
    "SeriesDescription",
    "Severity",
    "WorkerAnnouncement",
    "WorkerEvent",
    "WorkerLeave",
    "WorkflowDescription",
    "WorkflowError",
    "job_database",
    "parse_payload",
]
