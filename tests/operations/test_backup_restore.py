"""Backups are proven (R8): scripts/backup.sh on a live product with finished, running and
queued jobs; PostgreSQL and InfluxDB wiped; scripts/restore.sh; every job ends with its results
and a person's InfluxDB read credentials work again.

The product here is a whole one of its own (web app, dispatcher, events consumer, profile
binder, a sleeper worker) on a PostgreSQL database, InfluxDB databases and RabbitMQ queues of
this test only: the InfluxDB server is shared, and only this installation's databases are
backed up, wiped and restored.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pika
import pytest
import requests

from omotes.influx import InfluxClient, InfluxSettings
from omotes.protocol import job_database
from omotes.workflows.examples import POINTS
from tests.conftest import ROOT, Stack, free_port, wait_for

DEMO = ("demo@example.com", "demo-password-2026")
# The running job outlasts the backup on this slow shared machine; the queued ones wait behind it.
SLEEP_S = 60


def psql(*sql: str, database: str = "postgres") -> None:
    args = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1"]
    for statement in sql:
        args += ["-c", statement]
    subprocess.run(args, check=True, capture_output=True, timeout=120)


class Product:
    """A running Design Toolkit of its own; ``run`` a script or command in its environment."""

    def __init__(self, log_dir: Path) -> None:
        tag = uuid.uuid4().hex[:8]
        self.database = f"dt_ops_backup_{tag}"
        self.profiles = f"test_profiles_ops_backup_{tag}"
        self.namespace = f"opsbackup{tag}"
        self.port = free_port()
        self.env = {
            **os.environ,
            "DT_DB_NAME": self.database,
            "DT_INFLUX_PROFILES_DB": self.profiles,
            "OMOTES_NAMESPACE": self.namespace,
            "DT_CHANNELS_PREFIX": self.namespace,
            "DT_PYTHON": sys.executable,
            "DT_JOB_DISPATCH_TIMEOUT_S": "20",
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("DT_DEBUG", "DT_EVENTS_METRICS_PORT", "DT_DISPATCHER_METRICS_PORT"):
            self.env.pop(name, None)
        self.stack = Stack(self.env, log_dir)
        self.url = f"http://127.0.0.1:{self.port}"

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            list(args), cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def manage(self, *args: str) -> str:
        done = self.run(sys.executable, "manage.py", *args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start(self) -> None:
        self.stack.start("events", "manage.py", "run_events_consumer")
        self.stack.start("dispatcher", "manage.py", "run_dispatcher", "--interval", "0.5")
        self.stack.start("profiles", "manage.py", "run_profile_binder", "--interval", "0.3")
        self.stack.start(
            "worker",
            "-m",
            "omotes.worker",
            "--workflows",
            "sleeper",
            "--worker-id",
            f"{self.namespace}-worker",
        )
        self.stack.start(
            "web",
            "-m",
            "designtoolkit.webserver",
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            "designtoolkit.asgi:application",
        )

        def answers() -> bool:
            try:
                return requests.get(f"{self.url}/accounts/login/", timeout=2).ok
            except requests.RequestException:
                return False

        wait_for(answers, 60, "the web server")

    def api(self) -> requests.Session:
        session = requests.Session()
        session.auth = DEMO
        return session

    def influx_databases(self, job_ids: list[str]) -> list[str]:
        return [self.profiles, *(job_database(uuid.UUID(j)) for j in job_ids)]

    def delete_queues(self) -> None:
        listed = subprocess.run(
            ["rabbitmqctl", "-q", "list_queues", "name"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        names = [n for n in listed.stdout.split() if n.startswith(f"{self.namespace}.")]
        if not names:
            return
        connection = pika.BlockingConnection(
            pika.URLParameters("amqp://guest:guest@127.0.0.1:5672/")
        )
        channel = connection.channel()
        for name in names:
            channel.queue_delete(name)
        connection.close()


def listed(answer: requests.Response) -> list[dict]:
    body = answer.json()
    return body["results"] if isinstance(body, dict) else body


def job_states(api: requests.Session, url: str, job_ids: list[str]) -> dict[str, str]:
    return {j: api.get(f"{url}/api/jobs/{j}/", timeout=30).json()["status"] for j in job_ids}


def read_as(username: str, password: str, database: str) -> int:
    """Points of the sleeper's series, read with a person's InfluxDB credentials."""
    settings = dataclasses.replace(InfluxSettings.from_env(), username=username, password=password)
    results = InfluxClient(settings).query(
        'SELECT COUNT("value") FROM "Sleeper"', database=database
    )
    return results[0]["series"][0]["values"][0][1]


@pytest.fixture
def product(tmp_path):
    product = Product(tmp_path / "logs")
    (tmp_path / "logs").mkdir()
    psql(f'CREATE DATABASE "{product.database}"')
    job_ids: list[str] = []
    product.job_ids = job_ids
    try:
        product.manage("migrate", "--noinput")
        product.manage("create_demo")
        product.start()
        yield product
    finally:
        product.stack.stop_all()
        product.run(
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            (
                "from django.contrib.auth import get_user_model;"
                "from apps.influxaccess.services import delete_credentials;"
                "[delete_credentials(u) for u in get_user_model().objects.all()]"
            ),
        )
        psql(f'DROP DATABASE IF EXISTS "{product.database}" WITH (FORCE)')
        admin = InfluxClient()
        for database in product.influx_databases(job_ids):
            admin.drop_database(database)
        product.delete_queues()


def test_backup_of_a_live_product_restores_every_job_and_credential(product, tmp_path):
    api, url = product.api(), product.url
    models = listed(api.get(f"{url}/api/models/", timeout=30))
    model = models[0]["id"]
    wait_for(
        lambda: (
            api.get(f"{url}/api/models/{model}/", timeout=30).json()["profiles_status"] == "ready"
        ),
        120,
        "the demo model's profiles",
    )
    output = product.manage(
        "shell",
        "-c",
        (
            "from django.contrib.auth import get_user_model;"
            "from apps.influxaccess.services import create_credentials;"
            "print('CREDENTIALS', "
            "*create_credentials(get_user_model().objects.get(username='demo@example.com')))"
        ),
    )
    # (log lines go to stdout too)
    credentials = next(line.split()[1:] for line in output.splitlines() if "CREDENTIALS" in line)

    def submit(duration_s: float) -> str:
        answer = api.post(
            f"{url}/api/jobs/",
            json={"model": model, "workflow": "sleeper", "params": {"duration_s": duration_s}},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        product.job_ids.append(answer.json()["id"])
        return answer.json()["id"]

    wait_for(
        lambda: any(w["name"] == "sleeper" for w in listed(api.get(f"{url}/api/workflows/"))),
        60,
        "the sleeper worker",
    )
    finished = submit(0.2)
    wait_for(lambda: job_states(api, url, [finished])[finished] == "succeeded", 60, "a first job")
    running, *queued = submit(SLEEP_S), submit(1), submit(1)
    wait_for(lambda: job_states(api, url, [running])[running] == "running", 60, "a running job")
    product.manage("sync_influx_grants", "--quiet")
    assert read_as(*credentials, job_database(uuid.UUID(finished))) == POINTS

    # A backup while a job runs and two wait; older backups rotate (keep the newest 2).
    backups = tmp_path / "backups"
    for old in ("20200101T000000Z", "20200102T000000Z", "20200103T000000Z"):
        (backups / old).mkdir(parents=True)
    product.env.update(DT_BACKUP_DIR=str(backups), DT_BACKUP_KEEP="2")
    done = product.run("scripts/backup.sh")
    assert done.returncode == 0, done.stdout + done.stderr
    backup = Path(ROOT, done.stdout.strip().splitlines()[-1])
    assert sorted(p.name for p in backups.iterdir()) == ["20200103T000000Z", backup.name]
    # Taken while one job ran and two waited (one worker slot).
    assert job_states(api, url, [running, *queued]) == {
        running: "running",
        **{j: "queued" for j in queued},
    }

    # Everything gone: the processes, the PostgreSQL database, this product's InfluxDB data.
    product.stack.stop_all()
    psql(f'DROP DATABASE "{product.database}" WITH (FORCE)')
    admin = InfluxClient()
    for database in product.influx_databases(product.job_ids):
        admin.drop_database(database)

    done = product.run("scripts/restore.sh", str(backup))
    assert done.returncode == 0, done.stdout + done.stderr
    product.start()
    wait_for(
        lambda: set(job_states(api, url, product.job_ids).values()) == {"succeeded"},
        240,
        "every job to succeed after the restore",
    )
    for job in product.job_ids:
        data = api.get(
            f"{url}/api/jobs/{job}/series/data/",
            params={"asset_id": "sleeper", "field": "value"},
            timeout=30,
        )
        assert data.status_code == 200, data.text
        assert len(data.json()["points"]) == POINTS
        # The person's own InfluxDB credentials read every job again (grants restored).
        assert read_as(*credentials, job_database(uuid.UUID(job))) == POINTS


def test_restore_stops_at_the_first_failure(tmp_path):
    backup = tmp_path / "broken"
    (backup / "influxdb").mkdir(parents=True)
    (backup / "postgres.dump").write_bytes(b"not a dump")
    database = f"dt_ops_broken_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DT_DB_NAME": database, "DT_PYTHON": sys.executable}
    try:
        done = subprocess.run(
            ["scripts/restore.sh", str(backup)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    assert done.returncode != 0
    assert "restored" not in done.stdout
    assert "pg_restore" in done.stderr
