"""The stack harness shared by ``bench/qos.py`` and ``bench/chaos.py``.

It gives a benchmark a world of its own: the PostgreSQL database ``designtoolkit_bench``
(dropped and created at start, dropped at the end), RabbitMQ queues in the namespace
``bench<random hex>``, input profiles in the InfluxDB database ``bench_profiles`` and short
heartbeats. In it, it starts the real processes (events consumer, dispatcher, sleeper workers) as
child processes, each in its own session, and kills them all on exit (also on Ctrl-C or SIGTERM),
drops the InfluxDB job databases the run created, and writes the run's result as one JSON line
on stdout and at the end of ``bench/results/<name>.jsonl``. Child process logs go to
``bench/results/<name>-logs/`` (emptied at each start); everything else to stderr.

A script hands :func:`run_bench` a function that takes the :class:`Stack` and returns the
result; Django is set up by then, so that function (and what it calls) may import the app.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
# DT_PYTHON / DT_BENCH_DB_NAME: another interpreter, or a database of one's own on a machine
# where several people run benchmarks at once.
PYTHON = os.environ.get("DT_PYTHON", str(ROOT / ".venv" / "bin" / "python"))
RESULTS_DIR = ROOT / "bench" / "results"
DB_NAME = os.environ.get("DT_BENCH_DB_NAME", "designtoolkit_bench")
PASSWORD = "bench-password-2026-long"

ENV = {
    "DJANGO_SETTINGS_MODULE": "designtoolkit.settings",
    # Debug off, as in production: a key of the benchmark's own (it signs nothing kept).
    "DT_SECRET_KEY": os.environ.get("DT_SECRET_KEY") or secrets.token_urlsafe(50),
    "DT_DB_NAME": DB_NAME,
    "OMOTES_NAMESPACE": f"bench{secrets.token_hex(4)}",
    "OMOTES_HEARTBEAT_S": "1",
    "DT_WORKER_TIMEOUT_S": "6",
    "DT_JOB_DISPATCH_TIMEOUT_S": "30",
    "DT_INFLUX_PROFILES_DB": os.environ.get("DT_BENCH_PROFILES_DB", "bench_profiles"),
    "PYTHONUNBUFFERED": "1",
}

_log_milliseconds = False


def set_log_milliseconds(on: bool = True) -> None:
    """Stamp :func:`log` lines with milliseconds (``12:00:00.123``) instead of whole seconds."""
    global _log_milliseconds
    _log_milliseconds = on


def log(message: str) -> None:
    if _log_milliseconds:
        print(f"{datetime.now():%H:%M:%S.%f}"[:-3] + f" {message}", file=sys.stderr, flush=True)
    else:
        print(f"{datetime.now():%H:%M:%S} {message}", file=sys.stderr, flush=True)


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql],
        check=True,
        capture_output=True,
        timeout=120,
    )


def wait_for(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.1):
    """Poll until condition() is truthy; raise TimeoutError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


class Stack:
    """Child processes, each in its own session so that a kill takes its job children too.

    Each start is reported through ``announce`` (default :func:`log`) as
    ``started <name> (pid <pid>)``.
    """

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}
        self.announce: Callable[[str], None] = log

    def start(self, name: str, *args: str, log_name: str | None = None) -> subprocess.Popen:
        """Run ``python *args`` as ``name``, output to ``<log_name or name>.log``."""
        with open(self.log_dir / f"{log_name or name}.log", "ab") as out:
            process = subprocess.Popen(
                [PYTHON, *args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[name] = process
        self.announce(f"started {name} (pid {process.pid})")
        return process

    def start_events(self, name: str = "events") -> subprocess.Popen:
        return self.start(name, "manage.py", "run_events_consumer")

    def start_dispatcher(self, name: str = "dispatcher") -> subprocess.Popen:
        return self.start(name, "manage.py", "run_dispatcher", "--interval", "0.5")

    def start_worker(
        self, name: str, worker_id: str, slots: int, log_name: str | None = None
    ) -> subprocess.Popen:
        """A sleeper worker with ``slots`` slots under the id ``worker_id``."""
        return self.start(
            name,
            "-m",
            "omotes.worker",
            "--workflows",
            "sleeper",
            "--slots",
            str(slots),
            "--worker-id",
            worker_id,
            log_name=log_name,
        )

    def kill(self, name: str) -> None:
        """SIGKILL a process and everything it started (as a crash of its machine would)."""
        process = self.processes.pop(name)
        _signal_group(process, signal.SIGKILL)
        process.wait(30)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process, signal.SIGKILL)  # job children left behind, if any
            process.wait(10)
        self.processes.clear()


def wait_for_sleeper_workers(
    what: str, worker_ids: Sequence[str] = (), interval: float = 0.1, timeout: float = 90
) -> None:
    """Wait until the workers ``worker_ids`` are alive and the sleeper workflow is offered."""
    from apps.jobs.models import Worker
    from apps.jobs.workflows import offered_workflows

    def ready() -> bool:
        if worker_ids:
            alive = Worker.objects.alive().filter(pk__in=worker_ids).count()
            if alive != len(worker_ids):
                return False
        return "sleeper" in offered_workflows()

    wait_for(ready, timeout, what, interval)


def new_user_with_model(email: str, project_name: str) -> tuple[Any, Any]:
    """A new user with one project holding a generated 10-asset network, its input profiles
    bound here (no profile binder runs in a bench): (user, model)."""
    from apps.accounts.services import create_user
    from apps.models.models import Project
    from apps.models.services import upload_esdl_model
    from apps.profiles.binding import bind_next_model
    from omotes.esdl_generator import network_text

    user = create_user(email, PASSWORD)
    project = Project.objects.create(owner=user, name=project_name)
    esdl_model = upload_esdl_model(project, "network", network_text(10).encode())
    while bind_next_model():
        pass
    esdl_model.refresh_from_db()
    return user, esdl_model


def prepare_environment(migrate_output: int | IO[Any] | None = None) -> None:
    """Own database and queue namespace, set before Django reads its settings.

    ``migrate_output`` takes the migrations' stdout: stderr by default, ``subprocess.DEVNULL`` to
    drop it.
    """
    os.environ.update(ENV)
    os.environ.setdefault("DT_LOG_LEVEL", "WARNING")  # this process only; children get INFO
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    log(f"namespace {ENV['OMOTES_NAMESPACE']}; creating database {DB_NAME}")
    psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{DB_NAME}"')
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=child_env(),
        check=True,
        stdout=sys.stderr if migrate_output is None else migrate_output,
        stderr=sys.stderr,
        timeout=300,
    )
    import django

    django.setup()


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(ENV)
    env.pop("DT_LOG_LEVEL", None)
    return env


def drop_job_databases() -> None:
    from apps.jobs.models import Job
    from apps.results.influx import influx_client

    client = influx_client()
    ours = {job.database for job in Job.objects.only("id")}
    dropped = 0
    for name in set(client.list_databases()) & ours:
        client.drop_database(name)
        dropped += 1
    log(f"dropped {dropped} job database(s) in InfluxDB")


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_bench(
    name: str,
    run: Callable[[Stack], dict[str, Any]],
    migrate_output: int | IO[Any] | None = None,
) -> int:
    """Set up the bench world, ``run(stack)``, tear it all down, write the result line; 0.

    The result goes as one JSON line to stdout and ``bench/results/<name>.jsonl``; child logs go
    to ``bench/results/<name>-logs/``. ``migrate_output``: see :func:`prepare_environment`.
    """
    signal.signal(signal.SIGTERM, _raise_interrupt)
    log_dir = RESULTS_DIR / f"{name}-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    stack: Stack | None = None
    django_ready = False
    try:
        prepare_environment(migrate_output)
        django_ready = True
        stack = Stack(child_env(), log_dir)
        result = run(stack)
    finally:
        if stack is not None:
            stack.stop_all()
        if django_ready:
            try:
                drop_job_databases()
            except Exception as exc:  # noqa: BLE001 - cleanup must go on
                log(f"could not drop the job databases: {exc}")
            from django.db import connections

            connections.close_all()
        try:
            psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        except subprocess.SubprocessError as exc:
            log(f"could not drop {DB_NAME}: {exc}")
    write_result(name, result)
    return 0


def write_result(name: str, result: dict[str, Any]) -> None:
    """The result as one JSON line on stdout and at the end of ``bench/results/<name>.jsonl``."""
    line = json.dumps(result)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with (RESULTS_DIR / f"{name}.jsonl").open("a") as out:
        out.write(line + "\n")
    print(line, flush=True)


def process_cpu_s() -> dict[int, tuple[int, str, float]]:
    """Every process: pid -> (session id, name, user+system CPU seconds of it and its reaped
    children)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        # after the name: state ppid pgrp session ... utime(11) stime(12) cutime(13) cstime(14)
        cpu = sum(int(fields[i]) for i in (11, 12, 13, 14)) / tick
        found[int(entry.name)] = (int(fields[3]), name, cpu)
    return found


def commit() -> str:
    """The short hash of the commit measured (a result line says what code it was)."""
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()


def answers(host: str) -> bool:
    """Whether the web server at ``host`` serves its login page."""
    import requests

    try:
        return requests.get(f"{host}/accounts/login/", timeout=5).ok
    except requests.RequestException:
        return False
