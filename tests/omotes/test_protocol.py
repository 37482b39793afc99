"""The protocol: every message round-trips through JSON, and a bad one is refused by name."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from omotes.protocol import (
    PAYLOAD_TYPES,
    PROTOCOL_VERSION,
    ActiveRun,
    AssetMessage,
    CancelRequest,
    EventKind,
    Heartbeat,
    JobError,
    JobProgress,
    JobRequest,
    JobResult,
    JobStarted,
    Kpi,
    ParameterSpec,
    ParameterType,
    ProtocolError,
    SeriesDescription,
    Severity,
    WorkerAnnouncement,
    WorkerEvent,
    WorkerLeave,
    WorkflowDescription,
    job_database,
    parse_payload,
)
from omotes.workflows.base import describe
from omotes.workflows.examples import sleeper
from omotes.workflows.synthetic import workflow as synthetic

JOB_ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
SERIES = SeriesDescription("a1", "Pipe 1", "Pipe", "Pipe", "In.mass_flow", "kg/s", 8760)
WORKFLOWS = (describe(sleeper), describe(synthetic))

PAYLOADS = [
    JobStarted("run-1", 1),
    JobProgress("run-1", 1, fraction=0.5, message="simulating", step="1/2 Simulation"),
    JobResult(
        "run-1",
        2,
        output_esdl="<esdl/>",
        series=(SERIES,),
        messages=(AssetMessage("warning", "capped", "a1", 3), AssetMessage(Severity.INFO, "ok")),
        kpis=(Kpi("heat_loss", "Heat lost in pipes", 12.5, "MWh"),),
        logs="line 1\nline 2",
    ),
    JobResult("run-1", 1, output_esdl="<esdl/>", contention=2.5),
    JobError("run-1", 1, reason="The ESDL could not be read", logs="Traceback ..."),
    WorkerAnnouncement("host-a", 2, WORKFLOWS),
    WorkerAnnouncement("host-a", 2, WORKFLOWS, calibration_s_per_asset_step=1.5e-3),
    Heartbeat("host-a", 2, WORKFLOWS, (ActiveRun(JOB_ID, "run-1"),)),
    Heartbeat("host-a", 2, WORKFLOWS, calibration_s_per_asset_step=2e-3, contention=3.2),
    WorkerLeave(),
]


def over_the_wire(data: dict) -> dict:
    return json.loads(json.dumps(data))


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: type(p).__name__)
def test_every_event_kind_round_trips_with_its_typed_payload(payload) -> None:
    job_id = (
        JOB_ID if isinstance(payload, JobStarted | JobProgress | JobResult | JobError) else None
    )
    event = WorkerEvent.of("worker-1", payload, job_id)

    received = WorkerEvent.from_dict(over_the_wire(event.to_dict()))

    assert received == event
    assert received.typed_payload() == payload
    assert PAYLOAD_TYPES[received.kind] is type(payload)


def test_every_event_kind_has_a_payload_type() -> None:
    assert set(PAYLOAD_TYPES) == set(EventKind)


def test_payload_stays_a_dict_for_consumers_that_read_keys() -> None:
    event = WorkerEvent.from_dict(over_the_wire(WorkerEvent.of("w", PAYLOADS[2], JOB_ID).to_dict()))

    assert event.payload["series"][0]["field"] == "In.mass_flow"
    assert event.payload["messages"][0]["severity"] == "warning"
    assert event.payload["run_id"] == "run-1"


def test_an_event_of_version_1_0_is_read_with_defaults_filled_in() -> None:
    data = {
        "version": "1.0",
        "kind": "error",
        "worker_id": "w",
        "sent_at": "2026-01-01T00:00:00+00:00",
        "job_id": str(JOB_ID),
        "payload": {"reason": "boom", "run_id": "r", "attempt": 1},
    }

    event = WorkerEvent.from_dict(data)

    assert event.payload == {
        "run_id": "r",
        "attempt": 1,
        "reason": "boom",
        "messages": [],
        "logs": "",
    }


@pytest.mark.parametrize(
    "change, message",
    [
        ({"version": "2.0"}, "unsupported protocol version '2.0'"),
        ({"kind": "exploded"}, "unknown kind 'exploded'"),
        ({"job_id": None}, "a job event needs a job id"),
        ({"sent_at": "yesterday"}, "'sent_at' must be an ISO 8601 datetime"),
        ({"payload": {"run_id": "r", "attempt": 1, "fraction": 1.5}}, "fraction must be between"),
        ({"payload": {"run_id": "r", "attempt": 1}}, "progress payload: 'fraction' is missing"),
        ({"payload": {"run_id": "r", "attempt": "1", "fraction": 0}}, "'attempt' must be a whole"),
    ],
)
def test_a_malformed_event_is_refused_naming_what_is_wrong(change: dict, message: str) -> None:
    event = WorkerEvent.of("w", JobProgress("r", 1, fraction=0.1), JOB_ID).to_dict()

    with pytest.raises(ProtocolError, match=message):
        WorkerEvent.from_dict({**event, **change})


def test_an_announcement_without_a_calibration_reads_as_not_measured() -> None:
    announced = {"host": "h", "slots": 1, "workflows": []}

    assert WorkerAnnouncement.from_dict(announced).calibration_s_per_asset_step == 0.0
    with pytest.raises(ProtocolError, match="calibration_s_per_asset_step must be a number >= 0"):
        WorkerAnnouncement.from_dict({**announced, "calibration_s_per_asset_step": -1})


def test_contention_is_not_measured_or_at_least_one() -> None:
    announced = {"host": "h", "slots": 1, "workflows": []}

    assert WorkerAnnouncement.from_dict(announced).contention == 0.0
    assert JobResult.from_dict({"run_id": "r", "attempt": 1, "output_esdl": ""}).contention == 0
    with pytest.raises(ProtocolError, match="contention must be 0 .not measured. or a number >= 1"):
        WorkerAnnouncement.from_dict({**announced, "contention": 0.5})


def test_a_workflow_names_its_runtime_family() -> None:
    description = WorkflowDescription("w", "1.0", "W", "", (), 60, runtime_family="simulator")

    assert WorkflowDescription.from_dict(over_the_wire(description.to_dict())) == description
    assert description.family == "simulator"
    assert WorkflowDescription("w", "1.0", "W", "", (), 60).family == "w"
    with pytest.raises(ProtocolError, match="runtime_family 'a b' must be empty or a workflow"):
        WorkflowDescription("w", "1.0", "W", "", (), 60, runtime_family="a b")


def test_a_sequence_names_its_steps() -> None:
    description = WorkflowDescription("s", "1.0", "S", "", (), 60, steps=("simulator", "kpis"))

    assert WorkflowDescription.from_dict(over_the_wire(description.to_dict())) == description
    older = {k: v for k, v in description.to_dict().items() if k != "steps"}
    assert WorkflowDescription.from_dict(older).steps == ()
    with pytest.raises(ProtocolError, match="steps must be workflow names"):
        WorkflowDescription("s", "1.0", "S", "", (), 60, steps=("a b",))


def test_a_worker_event_with_a_job_id_is_refused() -> None:
    with pytest.raises(ProtocolError, match="a worker event has none"):
        WorkerEvent.of("w", WorkerLeave(), JOB_ID)


def test_job_request_round_trips_and_refuses_a_bad_one() -> None:
    request = JobRequest(JOB_ID, "simulator", "<esdl/>", {"timestep_s": 3600}, 600, attempt=2)

    assert JobRequest.from_dict(over_the_wire(request.to_dict())) == request
    with pytest.raises(ProtocolError, match="job request: 'time_limit_s' is missing"):
        JobRequest.from_dict({**request.to_dict(), "time_limit_s": None})
    with pytest.raises(ProtocolError, match="'job_id' must be a UUID"):
        JobRequest.from_dict({**request.to_dict(), "job_id": "42"})
    with pytest.raises(ProtocolError, match="is not a workflow name"):
        JobRequest(JOB_ID, "no spaces please", "", {}, 600)
    with pytest.raises(ProtocolError, match="attempt counts from 1"):
        JobRequest(JOB_ID, "simulator", "", {}, 600, attempt=0)


def test_cancel_request_round_trips() -> None:
    for request in (CancelRequest(JOB_ID), CancelRequest(JOB_ID, keep_run="run-2")):
        assert CancelRequest.from_dict(over_the_wire(request.to_dict())) == request
    with pytest.raises(ProtocolError, match="unknown kind 'pause'"):
        CancelRequest.from_dict({**CancelRequest(JOB_ID).to_dict(), "kind": "pause"})


def test_workflow_description_round_trips_with_every_parameter_type() -> None:
    parameters = (
        ParameterSpec("mode", ParameterType.STRING, "Mode", default="a", options=("a", "b")),
        ParameterSpec("fast", ParameterType.BOOL, "Fast", default=True),
        ParameterSpec("n", ParameterType.INT, "N", default=3, minimum=1, maximum=10),
        ParameterSpec("x", ParameterType.FLOAT, "X", default=0.5, minimum=0.0),
        ParameterSpec("at", ParameterType.DATETIME, "At", default="2019-01-01T00:00:00+00:00"),
        ParameterSpec("step", ParameterType.DURATION, "Step", default=3600, minimum=60),
    )
    description = WorkflowDescription("w", "1.0", "W", "", parameters, 60)

    assert WorkflowDescription.from_dict(over_the_wire(description.to_dict())) == description


def test_a_datetime_default_travels_as_iso_text() -> None:
    (start,) = (p for p in describe(synthetic).parameters if p.key == "start")

    data = over_the_wire(start.to_dict())

    assert data["default"] == "2019-01-01T00:00:00+00:00"
    assert ParameterSpec.from_dict(data).to_dict() == data


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: ParameterSpec("n", ParameterType.INT, "N", default=1.5), "is not a valid int"),
        (lambda: ParameterSpec("n", ParameterType.INT, "N", default=0, minimum=1), "outside"),
        (lambda: ParameterSpec("b", ParameterType.BOOL, "B", minimum=0), "has no minimum"),
        (
            lambda: ParameterSpec("s", ParameterType.STRING, "S", default="c", options=("a",)),
            "not one",
        ),
        (lambda: ParameterSpec("f", ParameterType.FLOAT, "F", options=("a",)), "only a string"),
        (
            lambda: ParameterSpec("t", ParameterType.DATETIME, "T", default="2019-01-01"),
            "time zone",
        ),
        (lambda: ParameterSpec("1st", ParameterType.INT, "N"), "not starting with a digit"),
        (
            lambda: ParameterSpec.from_dict({"key": "k", "type": "complex"}),
            "unknown type 'complex'",
        ),
        (lambda: WorkflowDescription("a b", "1", "", "", (), 60), "it names a queue"),
        (lambda: AssetMessage("fatal", "x"), "unknown severity 'fatal'"),
        (lambda: Kpi("k", "K", float("nan"), "MWh"), "value must be finite"),
        (lambda: SeriesDescription("a", "", "", "M", "f", "-", -1), "points must be a count"),
        (lambda: JobResult("r", 1, output_esdl="", series=({"field": "f"},)), "SeriesDescription"),
        (lambda: JobError("r", 1, reason=""), "reason must not be empty"),
    ],
)
def test_a_part_that_breaks_the_protocol_cannot_be_built(make, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        make()


def test_parse_payload_refuses_an_unknown_kind() -> None:
    with pytest.raises(ProtocolError, match="unknown kind 'explode'"):
        parse_payload("explode", {})


def test_job_database_is_one_name_for_a_uuid_or_its_text() -> None:
    assert job_database(JOB_ID) == job_database(str(JOB_ID)) == f"job_{JOB_ID.hex}"


def test_event_time_is_kept_to_the_microsecond() -> None:
    sent_at = datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC)
    event = WorkerEvent.of("w", WorkerLeave(), sent_at=sent_at)

    assert WorkerEvent.from_dict(over_the_wire(event.to_dict())).sent_at == sent_at
    assert event.to_dict()["version"] == PROTOCOL_VERSION


def test_derivations_and_runtime_priors_travel_and_older_announcements_still_read():
    spec = ParameterSpec("start", ParameterType.DATETIME, "Start", derive="profile_start")
    described = WorkflowDescription(
        "w", "1", "W", "", (spec,), 60, runtime_prior={"overhead_s": 2.0, "per_asset_step_s": 1e-4}
    )

    assert WorkflowDescription.from_dict(described.to_dict()) == described
    older = described.to_dict()
    del older["runtime_prior"], older["parameters"][0]["derive"]
    read = WorkflowDescription.from_dict(older)
    assert read.runtime_prior == {} and read.parameters[0].derive == ""
    with pytest.raises(ProtocolError, match="derive"):
        ParameterSpec("x", ParameterType.INT, "X", derive="no spaces allowed")
    with pytest.raises(ProtocolError, match="runtime_prior"):
        WorkflowDescription("w", "1", "W", "", (), 60, runtime_prior={"overhead_s": -1})
