"""Fixtures for tests against the real services.

``stack`` runs the real processes (events consumer, dispatcher, profile binder, workers) against
the test database, on RabbitMQ queues of their own (a namespace per test session), so a test
drives the product exactly as a user would, through the API or a browser.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from omotes import influx

ROOT = Path(__file__).resolve().parents[1]
NAMESPACE = f"test{uuid.uuid4().hex[:8]}"
os.environ["OMOTES_NAMESPACE"] = NAMESPACE
os.environ.setdefault("DT_INFLUX_PROFILES_DB", f"test_profiles_{NAMESPACE}")
os.environ.setdefault("DT_WORKER_TIMEOUT_S", "6")
os.environ.setdefault("OMOTES_HEARTBEAT_S", "1")
# The web servers tests start serve plain HTTP on 127.0.0.1, as scripts/run.sh does.
os.environ.setdefault("DT_SECURE_COOKIES", "0")
os.environ.setdefault("DT_PROFILE_BINDING_STALE_S", "3")
# Workers skip their calibration run (seconds of CPU each, on a host the suite keeps busy);
# tests/jobs/test_estimate_speed.py turns it on for the worker it starts.
os.environ.setdefault("OMOTES_CALIBRATE", "0")
# InfluxDB runs with authentication on: the stack's processes get the product's account in their
# environment (the development account of scripts/setup.sh unless the environment names another).
os.environ.setdefault("OMOTES_INFLUX_USERNAME", influx.DEV_USERNAME)
os.environ.setdefault("OMOTES_INFLUX_PASSWORD", influx.DEV_PASSWORD)


class Stack:
    """The running processes of one test session; workers can be added and killed."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}

    def start(
        self, name: str, *args: str, python: str = sys.executable, env: dict | None = None
    ) -> subprocess.Popen:
        """Start ``python *args`` (another venv's Python for a worker of its own venv).

        A name still running is refused: its process would be lost to ``kill`` and outlive the
        test (a test that starts a server must kill it, or the next test's start fails here)."""
        running = self.processes.get(name)
        if running is not None and running.poll() is None:
            raise RuntimeError(f"{name} is still running (pid {running.pid}): kill it first")
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [python, *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes[name] = process
        return process

    def start_worker(self, name: str = "worker", workflows: str = "simulator") -> str:
        worker_id = f"{name}-{uuid.uuid4().hex[:6]}"
        self.start(name, "-m", "omotes.worker", "--workflows", workflows, "--worker-id", worker_id)
        return worker_id

    def start_profile_binder(self) -> None:
        self.start("profiles", "manage.py", "run_profile_binder", "--interval", "0.3")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        process.send_signal(sig)
        process.wait(30)

    def stop_all(self) -> None:
        for name in list(self.processes):
            process = self.processes[name]
            if process.poll() is None:
                process.terminate()
        for name in list(self.processes):
            process = self.processes.pop(name)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def wait_for(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.3):
    """Poll until condition() is truthy; fail the test with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def pytest_terminal_summary(terminalreporter) -> None:
    """Say how many tests were skipped for want of the real ESDL models (tests/corpus.py)."""
    from tests.corpus import MISSING

    skipped = [r for r in terminalreporter.stats.get("skipped", []) if MISSING in str(r.longrepr)]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} tests skipped: {MISSING} (set DT_ESDL_CORPUS; see tests/corpus.py)"
        )


def bind_profiles(esdl_model_pk: int, timeout: float = 120) -> None:
    """Bind the input profiles of an uploaded model as the profile binder does (one step at a
    time, here), or wait for the binder of a running ``stack`` that claimed it first."""
    from apps.models.models import EsdlModel
    from apps.profiles.binding import bind_next_model

    while bind_next_model():
        pass
    wait_for(
        lambda: EsdlModel.objects.filter(pk=esdl_model_pk, profiles_status="ready").exists(),
        timeout,
        f"the input profiles of model {esdl_model_pk} to be bound",
    )


@pytest.fixture(scope="session", autouse=True)
def _drop_test_profiles_database() -> Iterator[None]:
    """The session's profiles database goes at the end (the stack, set up later, stops first)."""
    yield
    influx.InfluxClient().drop_database(os.environ["DT_INFLUX_PROFILES_DB"])


@pytest.fixture(scope="session", autouse=True)
def _flush_retried_after_a_deadlock() -> Iterator[None]:
    """A transactional test ends by emptying every table in one TRUNCATE while the session's
    live processes (dispatcher, events consumer, profile binder) may hold a row lock on one
    table and wait for another. PostgreSQL then aborts one of the two; when it was the TRUNCATE
    ("deadlock detected"), the next test started on the last one's rows (seen once in a full
    run). A deadlocked transaction is to be tried again, as PostgreSQL's manual says."""
    import psycopg
    from django.db import OperationalError
    from django.db.backends.postgresql.operations import DatabaseOperations

    flush = DatabaseOperations.execute_sql_flush

    def retried(operations: DatabaseOperations, sql_list: list[str]) -> None:
        for attempt in range(1, 6):
            try:
                return flush(operations, sql_list)
            except OperationalError as exc:
                if attempt == 5 or not isinstance(exc.__cause__, psycopg.errors.DeadlockDetected):
                    raise
                time.sleep(0.1 * attempt)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "execute_sql_flush", retried)
        yield


@pytest.fixture(autouse=True)
def _test_profiles_database(settings) -> None:
    settings.INFLUX_PROFILES_DATABASE = os.environ["DT_INFLUX_PROFILES_DB"]
    settings.WORKER_TIMEOUT_S = int(os.environ["DT_WORKER_TIMEOUT_S"])


@pytest.fixture(scope="session")
def stack(django_db_setup, tmp_path_factory) -> Iterator[Stack]:
    from django.conf import settings

    env = dict(os.environ)
    env.update(
        DT_DB_NAME=settings.DATABASES["default"]["NAME"],
        DT_JOB_DEADLINE_GRACE_S="5",
        PYTHONUNBUFFERED="1",
    )
    stack = Stack(env, tmp_path_factory.mktemp("stack-logs"))
    stack.start("events", "manage.py", "run_events_consumer")
    stack.start("dispatcher", "manage.py", "run_dispatcher", "--interval", "0.5")
    stack.start_profile_binder()
    yield stack
    stack.stop_all()
    delete_namespace_queues()


def delete_namespace_queues() -> None:
    """Remove this session's RabbitMQ queues, so test runs leave no queues behind."""
    import pika

    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "name"], capture_output=True, text=True, timeout=120
    )
    names = [n for n in listed.stdout.split() if n.startswith(f"{NAMESPACE}.")]
    if not names:
        return
    connection = pika.BlockingConnection(pika.URLParameters("amqp://guest:guest@127.0.0.1:5672/"))
    channel = connection.channel()
    for name in names:
        channel.queue_delete(name)
    connection.close()


@pytest.fixture
def simulator_worker(stack: Stack, transactional_db) -> str:
    """One live simulator worker, known to the frontend."""
    from apps.jobs.workflows import offered_workflows

    if "worker" not in stack.processes or stack.processes["worker"].poll() is not None:
        stack.start_worker("worker")
    wait_for(lambda: "simulator" in offered_workflows(), 60, "the simulator worker to announce")
    return "simulator"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_web(stack: Stack) -> str:
    """Start the web server as the process "web" of ``stack``, as scripts/run.sh does; its URL
    once it answers."""
    port = free_port()
    stack.start(
        "web",
        *("-m", "designtoolkit.webserver", "-b", "127.0.0.1", "-p", str(port)),
        "designtoolkit.asgi:application",
    )

    def answers() -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
        except OSError:
            return False
        return True

    wait_for(answers, 60, "the web server")
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def web_server(transactional_db, tmp_path) -> Iterator[str]:
    """The ASGI web server (daphne) alone, as ``scripts/run.sh`` starts it, on the test database
    (``transactional_db``: what a test writes is committed, so the server sees it)."""
    from django.conf import settings

    env = {**os.environ, "DT_DB_NAME": settings.DATABASES["default"]["NAME"]}
    env.pop("DT_DEBUG", None)  # the default, whatever the developer's shell says
    server = Stack(env, tmp_path)
    try:
        yield serve_web(server)
    finally:
        server.stop_all()


PASSWORD = "a-long-test-password-42"


@pytest.fixture
def make_user(db):
    from apps.accounts.services import create_user

    def make(email: str | None = None):
        return create_user(email or f"user-{uuid.uuid4().hex[:8]}@example.com", PASSWORD)

    return make


@pytest.fixture
def owner(make_user):
    return make_user("owner@example.com")


@pytest.fixture
def api(owner):
    """A REST client logged in as ``owner`` with HTTP Basic credentials (e-mail + password)."""
    import base64

    from rest_framework.test import APIClient

    client = APIClient()
    token = base64.b64encode(f"{owner.email}:{PASSWORD}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    return client


@pytest.fixture
def project(api) -> int:
    response = api.post("/api/projects/", {"name": "Test project"}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]
