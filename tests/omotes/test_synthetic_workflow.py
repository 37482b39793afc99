"""The ``synthetic`` workflow and the result writer it shares with the simulator (real InfluxDB)."""

from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import esdl
import numpy as np
import pytest
from esdl.esdl_handler import EnergySystemHandler

from omotes.esdl_generator import generate_network, network_text
from omotes.influx import InfluxClient, InfluxError, InfluxSettings, encode_line, rows
from omotes.protocol import WorkflowError
from omotes.results import JOB_SHARD_DURATION, plan_outputs
from omotes.workflows import registry
from omotes.workflows.base import JobContext, WorkflowResult
from omotes.workflows.simulator import workflow as simulator
from omotes.workflows.synthetic import quantities_for, synthetic_values, workflow
from tests.omotes.line_protocol import encoded_lines
from tests.omotes.test_simulator_workflow import load_profiles

ASSETS, QUANTITIES, HOURS = 20, 10, 48
START = datetime(2019, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _test_profiles_database() -> None:
    """Overrides the Django-settings fixture of tests/conftest.py: these tests use no Django."""


@pytest.fixture(scope="module")
def influx() -> InfluxClient:
    client = InfluxClient(InfluxSettings.from_env())
    try:
        client.ping()
    except InfluxError as exc:
        pytest.fail(f"these tests need InfluxDB at {client.settings.url} ({exc})")
    return client


def _context(influx: InfluxClient, tmp_path: Path) -> JobContext:
    return JobContext(
        job_id=uuid.uuid4(),
        influx=influx.settings,
        workdir=tmp_path,
        progress=lambda fraction, message: None,
    )


@pytest.fixture(scope="module")
def synthetic_run(
    influx: InfluxClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[WorkflowResult, JobContext, str]]:
    """One small synthetic job: 20 assets x 10 quantities x 48 hours."""
    text = network_text(ASSETS)
    context = _context(influx, tmp_path_factory.mktemp("synthetic"))
    progress: list[float] = []
    context.progress = lambda fraction, message: progress.append(fraction)
    result = workflow.run(text, {"hours": HOURS, "quantities": QUANTITIES}, context)
    context.progress_log = progress  # type: ignore[attr-defined]
    yield result, context, text
    influx.drop_database(context.database)


def _stored_values(influx: InfluxClient, database: str) -> int:
    return sum(
        int(value or 0)
        for row in rows(influx.query("SELECT COUNT(*) FROM /.*/", database=database))
        for key, value in row.items()
        if key.startswith("count_")
    )


def test_synthetic_job_stores_every_value_exactly_once(
    influx: InfluxClient, synthetic_run: tuple[WorkflowResult, JobContext, str]
) -> None:
    result, context, _ = synthetic_run
    assert _stored_values(influx, context.database) == ASSETS * QUANTITIES * HOURS
    assert len(result.series) == ASSETS * QUANTITIES
    assert {s.points for s in result.series} == {HOURS}
    progress = context.progress_log  # type: ignore[attr-defined]
    assert progress == sorted(progress) and progress[-1] == 1.0


def test_synthetic_series_read_back_to_nine_digits(
    influx: InfluxClient, synthetic_run: tuple[WorkflowResult, JobContext, str]
) -> None:
    """Every value comes back to its 9 significant digits (8 when negative: the result
    writer's text, omotes.float_text), at the right hour, for the right asset."""
    result, context, text = synthetic_run
    handler = EnergySystemHandler()
    energy_system = handler.load_from_string(text)
    demand = handler.get_all_instances_of_type(esdl.HeatingDemand)[0]
    columns = [(port.id, q) for port, q in quantities_for(demand, QUANTITIES)]
    [output] = plan_outputs(energy_system, columns)
    expected = synthetic_values(output, HOURS, seed=0)
    start_s = int(START.timestamp())
    for i, column in enumerate(output.columns):
        points = list(
            influx.select_series(
                context.database, "HeatingDemand", column.field, {"asset_id": demand.id}
            )
        )
        assert [time for time, _ in points] == [start_s + h * 3600 for h in range(HOURS)]
        assert [value for _, value in points] == pytest.approx(expected[:, i], rel=5e-8, abs=0)


def test_synthetic_output_esdl_references_every_series(
    synthetic_run: tuple[WorkflowResult, JobContext, str],
) -> None:
    result, context, _ = synthetic_run
    handler = EnergySystemHandler()
    handler.load_from_string(result.output_esdl)
    outputs = [
        p
        for p in handler.get_all_instances_of_type(esdl.InfluxDBProfile)
        if p.database == context.database
    ]
    assert {(p.measurement, p.field, p.filters) for p in outputs} == {
        (s.measurement, s.field, f"asset_id='{s.asset_id}'") for s in result.series
    }
    assert {p.endDate for p in outputs} == {START + timedelta(hours=HOURS - 1)}


def _schema(influx: InfluxClient, database: str) -> dict[str, tuple[set[str], set[str]]]:
    """measurement -> (tag keys, float field keys)."""
    schema: dict[str, tuple[set[str], set[str]]] = {}
    for result in influx.query("SHOW TAG KEYS", database=database):
        for series in result.get("series", []):
            schema[series["name"]] = ({v[0] for v in series["values"]}, set())
    for result in influx.query("SHOW FIELD KEYS", database=database):
        for series in result.get("series", []):
            assert {v[1] for v in series["values"]} == {"float"}
            schema[series["name"]][1].update(v[0] for v in series["values"])
    return schema


def test_synthetic_schema_is_the_simulators(
    influx: InfluxClient,
    synthetic_run: tuple[WorkflowResult, JobContext, str],
    tmp_path: Path,
) -> None:
    """Same measurements, tags and field names as a simulation of the same generated network."""
    _, synthetic_context, _ = synthetic_run
    handler = generate_network(10)
    profiles_db = f"test_profiles_{uuid.uuid4().hex}"
    context = _context(influx, tmp_path)
    try:
        load_profiles(influx, handler, profiles_db)
        simulator.run(
            handler.to_string(),
            {"start": START.isoformat(), "end": (START + timedelta(hours=3)).isoformat()},
            context,
        )
        simulated = _schema(influx, context.database)
    finally:
        influx.drop_database(profiles_db)
        influx.drop_database(context.database)
    synthetic = _schema(influx, synthetic_context.database)
    assert set(simulated) <= set(synthetic)
    for measurement, (tags, fields) in simulated.items():
        synthetic_tags, synthetic_fields = synthetic[measurement]
        assert synthetic_tags == tags == {"asset_id", "asset_name"}
        assert synthetic_fields <= fields, measurement


def test_synthetic_values_are_deterministic_per_seed() -> None:
    handler = generate_network(6)
    asset = handler.get_all_instances_of_type(esdl.Pipe)[0]
    columns = [(port.id, q) for port, q in quantities_for(asset, 12)]
    [output] = plan_outputs(handler.energy_system, columns)
    assert len(output.columns) == 12
    first = synthetic_values(output, 100, seed=1)
    assert first.shape == (100, 12) and np.isfinite(first).all()
    assert np.array_equal(first, synthetic_values(output, 100, seed=1))
    assert not np.array_equal(first, synthetic_values(output, 100, seed=2))


@pytest.mark.parametrize("params", [{"hours": 0}, {"quantities": "many"}, {"start": "soon"}])
def test_synthetic_refuses_bad_parameters(
    influx: InfluxClient, tmp_path: Path, params: dict
) -> None:
    with pytest.raises(WorkflowError):
        workflow.run(network_text(6), params, _context(influx, tmp_path))


def test_synthetic_is_a_built_in_workflow() -> None:
    assert registry.load("synthetic") is workflow


# -- the shared writer ----------------------------------------------------------------------


def test_the_encoder_writes_encode_lines_lines_to_nine_digits_over_all_magnitudes() -> None:
    """Lines as encode_line writes them (tags, field names, times, the NaN row dropped), each
    value to 9 significant digits (8 when negative); a row with a value past the text's range
    (5e-324) is written by encode_line itself, exactly."""
    es = generate_network(6, profile=None).energy_system
    pipe = next(o for o in es.eAllContents() if isinstance(o, esdl.Pipe))
    columns = [(port.id, q) for port, q in quantities_for(pipe, 10)]
    [output] = plan_outputs(es, columns)
    rng = np.random.default_rng(7)
    values = rng.standard_normal((300, 10)) * 10.0 ** rng.integers(-12, 22, (300, 10))
    values[3, 4], values[5], values[6, 0] = 0.0, np.nan, -np.inf
    values[7] = [1e-5, 1e-7, 9.9e-5, 1e16, 1.5, -0.0, 2.0**53, 5e-324, 1e-4, 123.0]
    stamps = [str(1_000 + i) for i in range(300)]
    names = [c.field for c in output.columns]
    tags = {"asset_id": pipe.id, "asset_name": pipe.name}
    expected = [
        encode_line("Pipe", tags, dict(zip(names, row, strict=True)), int(t))
        for row, t in zip(values.tolist(), stamps, strict=True)
    ]
    expected = [line for line in expected if line is not None]
    assert len(expected) == 299  # the all-NaN row is dropped

    lines = encoded_lines(output, values, stamps)

    assert len(lines) == len(expected)
    for line, want in zip(lines, expected, strict=True):
        head, fields, stamp = _parsed(line)
        want_head, want_fields, want_stamp = _parsed(want)
        assert (head, stamp, list(fields)) == (want_head, want_stamp, list(want_fields))
        assert fields == pytest.approx(want_fields, rel=5e-8, abs=0)
    assert lines[6] == expected[6]  # row 7 (after the dropped row 5), 5e-324: encode_line's


def test_an_asset_name_with_a_line_break_stays_on_its_lines() -> None:
    """Line protocol cannot hold a line break even escaped: it becomes a space, so each time
    step is still one line and a NaN row is put right on its own line."""
    es = generate_network(6, profile=None).energy_system
    pipe = next(o for o in es.eAllContents() if isinstance(o, esdl.Pipe))
    pipe.name = "supply\nsouth, part 1"
    [output] = plan_outputs(es, [(port.id, q) for port, q in quantities_for(pipe, 3)])
    values = np.arange(12, dtype=np.float64).reshape(4, 3)
    values[2, 1] = np.nan
    lines = encoded_lines(output, values, ["10", "20", "30", "40"])
    assert len(lines) == 4
    assert all(r"asset_name=supply\ south\,\ part\ 1 " in line for line in lines)
    assert [line.rsplit(" ", 1)[1] for line in lines] == ["10", "20", "30", "40"]
    assert "=7.0" not in lines[2] and "=6.0," in lines[2] and "=8.0 " in lines[2]


def _parsed(line: str) -> tuple[str, dict[str, float], str]:
    """A line as (measurement and tags, fields as floats, timestamp)."""
    head, fields, stamp = line.rsplit(" ", 2)
    values = {key: float(value) for key, value in (f.split("=") for f in fields.split(","))}
    return head, values, stamp


def test_job_database_gets_one_shard_for_all_time(influx: InfluxClient) -> None:
    database = f"test_shards_{uuid.uuid4().hex}"
    influx.create_database(database)  # as the frontend does before granting reads
    try:
        influx.create_database(database, shard_duration=JOB_SHARD_DURATION)
        [policy] = rows(influx.query(f'SHOW RETENTION POLICIES ON "{database}"'))
        assert policy["shardGroupDuration"] == "1680000h0m0s"
    finally:
        influx.drop_database(database)


class _BusyOnce(http.server.BaseHTTPRequestHandler):
    """Answers the first write like a full InfluxDB cache, the next ones with 204."""

    bodies: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append(body)
        if len(type(self).bodies) == 1:
            payload = b'{"error":"engine: cache-max-memory-size exceeded: (1073741824/1073741824)"}'
            self.send_response(500)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        else:
            self.send_response(204)
            self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_write_is_retried_while_influxdb_is_busy() -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _BusyOnce)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = InfluxClient(InfluxSettings(url=f"http://127.0.0.1:{server.server_port}"))
        client.write_body("db", b"m f=1 1", backoff_s=0.01)
    finally:
        server.shutdown()
    assert _BusyOnce.bodies == [b"m f=1 1", b"m f=1 1"]
