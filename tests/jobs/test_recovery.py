"""Every job ends, nothing is lost or stored twice, whatever process dies (R8, R26).

Each test drives the real processes with the ``sleeper`` workflow (a few seconds per job) and
breaks one thing on purpose.
"""

from __future__ import annotations

import signal
import subprocess

import pytest

from apps.jobs.live import job_state
from apps.jobs.models import Job, JobEvent, Worker, WorkflowSetting
from apps.results.influx import influx_client
from designtoolkit.broker import get_broker
from omotes import broker as omotes_broker
from omotes.protocol import JobRequest
from tests.conftest import bind_profiles, wait_for
from tests.corpus import generated_network
from tests.models.test_upload_api import upload

TERMINAL = ("succeeded", "failed", "cancelled")


@pytest.fixture
def model_id(api, project) -> int:
    response = upload(api, project, "network", generated_network())
    bind_profiles(response.json()["id"])
    return response.json()["id"]


@pytest.fixture
def sleeper_worker(stack, transactional_db):
    """Start a sleeper worker (a fresh process per call) and wait until it has announced."""
    started = []

    def start(name: str = "sleeper") -> str:
        worker_id = stack.start_worker(name, workflows="sleeper")
        started.append(name)
        wait_for(
            lambda: Worker.objects.alive().filter(pk=worker_id).exists(), 60, f"{name} to announce"
        )
        return worker_id

    yield start
    for name in started:
        if name in stack.processes:
            stack.kill(name)


def submit(api, model_id: int, **params) -> str:
    response = api.post(
        "/api/jobs/", {"model": model_id, "workflow": "sleeper", "params": params}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def status(job_id: str) -> str:
    return Job.objects.get(pk=job_id).status


def wait_status(job_id: str, wanted: tuple[str, ...] | str, timeout: float = 90) -> Job:
    wanted = (wanted,) if isinstance(wanted, str) else wanted
    wait_for(lambda: status(job_id) in wanted, timeout, f"job {job_id} to be {wanted}")
    return Job.objects.get(pk=job_id)


def stored_points(job: Job) -> int:
    """Values stored in the job's database: twice the series length would mean a duplicate."""
    results = influx_client().query('SELECT COUNT("value") FROM "Sleeper"', database=job.database)
    return results[0]["series"][0]["values"][0][1]


def test_job_of_a_killed_worker_runs_again_elsewhere_and_succeeds(
    api, model_id, sleeper_worker, stack
):
    sleeper_worker("sleeper-a")
    job_id = submit(api, model_id, duration_s=20)
    first = wait_status(job_id, "running")
    sleeper_worker("sleeper-b")

    stack.kill("sleeper-a", signal.SIGKILL)
    job = wait_status(job_id, TERMINAL, timeout=120)

    assert job.status == "succeeded", job.error
    assert job.attempts == 2
    assert job.worker_id != first.worker_id
    assert JobEvent.objects.filter(job=job, kind="requeued").exists()
    assert stored_points(job) == 24


def test_job_fails_with_the_reason_after_its_last_attempt(
    api, model_id, sleeper_worker, stack, settings
):
    sleeper_worker("sleeper-a")
    job_id = submit(api, model_id, duration_s=30)
    wait_status(job_id, "running")
    Job.objects.filter(pk=job_id).update(attempts=3)  # as if two runs were lost before this one

    stack.kill("sleeper-a", signal.SIGKILL)
    job = wait_status(job_id, TERMINAL, timeout=60)

    assert job.status == "failed"
    assert "stopped responding" in job.error and "Gave up after 3 attempts" in job.error


def test_duplicate_delivery_stores_one_result(api, model_id, sleeper_worker):
    sleeper_worker("sleeper-a")
    sleeper_worker("sleeper-b")
    job_id = submit(api, model_id, duration_s=3)
    job = wait_status(job_id, ("dispatched", "running"))
    # The dispatcher's message goes out a second time (as after a crash between send and commit).
    attempt = max(job.attempts, 1)  # counted when a run starts; the dispatcher sent attempt 1
    request = JobRequest(job.id, "sleeper", job.esdl, job.params, job.time_limit_s, attempt)
    omotes_broker.send(
        get_broker(),
        omotes_broker.workflow_queue("sleeper"),
        omotes_broker.job_actor_name("sleeper"),
        request.to_dict(),
    )

    job = wait_status(job_id, TERMINAL)

    assert job.status == "succeeded"
    assert JobEvent.objects.filter(job=job, kind="result").count() == 1
    assert stored_points(job) == 24


def test_events_consumer_killed_mid_stream_loses_nothing(api, model_id, sleeper_worker, stack):
    sleeper_worker("sleeper-a")
    job_id = submit(api, model_id, duration_s=4)
    wait_status(job_id, "running")

    stack.kill("events", signal.SIGKILL)  # unacknowledged events go back to the queue
    stack.start("events", "manage.py", "run_events_consumer")
    job = wait_status(job_id, TERMINAL)

    assert job.status == "succeeded"
    assert job.progress == 1.0


def test_dispatcher_killed_and_restarted_keeps_dispatching(api, model_id, sleeper_worker, stack):
    sleeper_worker("sleeper-a")
    stack.kill("dispatcher", signal.SIGKILL)
    job_id = submit(api, model_id, duration_s=1)
    assert status(job_id) == "queued"

    stack.start("dispatcher", "manage.py", "run_dispatcher", "--interval", "0.5")

    assert wait_status(job_id, TERMINAL).status == "succeeded"


def test_broker_restart_during_a_job_loses_nothing(api, model_id, sleeper_worker):
    sleeper_worker("sleeper-a")
    job_id = submit(api, model_id, duration_s=8)
    wait_status(job_id, "running")

    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
    job = wait_status(job_id, TERMINAL, timeout=180)

    assert job.status == "succeeded", job.error
    assert stored_points(job) == 24


def test_job_past_its_time_limit_ends_with_that_reason(api, model_id, sleeper_worker):
    WorkflowSetting.objects.create(workflow="sleeper", time_limit_s=2)
    sleeper_worker("sleeper-a")
    job_id = submit(api, model_id, duration_s=60)

    job = wait_status(job_id, TERMINAL, timeout=60)

    assert job.status == "failed"
    assert "Time limit of 2 s exceeded" in job.error


def test_cancel_a_queued_job(api, model_id, sleeper_worker):
    sleeper_worker("sleeper-a")
    busy = submit(api, model_id, duration_s=10)
    wait_status(busy, "running")
    queued = submit(api, model_id, duration_s=1)  # waits: the only slot is taken

    response = api.post(f"/api/jobs/{queued}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert api.post(f"/api/jobs/{queued}/cancel/").status_code == 409
    api.post(f"/api/jobs/{busy}/cancel/")


def test_cancel_a_running_job_stops_it_within_seconds(api, model_id, sleeper_worker):
    sleeper_worker("sleeper-a")
    running = submit(api, model_id, duration_s=60)
    wait_status(running, "running")

    api.post(f"/api/jobs/{running}/cancel/")
    # The slot is free again within seconds: the next job starts and succeeds.
    next_job = submit(api, model_id, duration_s=1)

    assert wait_status(next_job, TERMINAL, timeout=20).status == "succeeded"
    assert status(running) == "cancelled"


def test_delete_removes_the_results_and_keeps_the_history(api, model_id, sleeper_worker):
    sleeper_worker("sleeper-a")
    job_id = submit(api, model_id, duration_s=0)
    job = wait_status(job_id, TERMINAL)
    assert job.database in influx_client().list_databases()

    assert api.delete(f"/api/jobs/{job_id}/").status_code == 204

    kept = Job.objects.get(pk=job_id)
    assert kept.status == "succeeded" and kept.series == [] and kept.output_esdl == ""
    assert kept.record.results_deleted_at is not None
    assert job.database not in influx_client().list_databases()


def test_last_worker_leaving_makes_the_workflow_unavailable_and_its_jobs_wait(
    api, model_id, sleeper_worker, stack
):
    sleeper_worker("sleeper-a")
    running = submit(api, model_id, duration_s=30)
    wait_status(running, "running")

    stack.kill("sleeper-a", signal.SIGTERM)  # a graceful stop: the worker says it leaves
    wait_status(running, "queued", timeout=30)
    workflows = {w["name"]: w for w in api.get("/api/workflows/").json()}

    assert workflows["sleeper"]["available"] is False
    refused = api.post("/api/jobs/", {"model": model_id, "workflow": "sleeper"}, format="json")
    assert refused.status_code == 400
    assert "not offered" in refused.json()["detail"]
    sleeper_worker("sleeper-b")
    job = wait_status(running, TERMINAL, timeout=120)
    assert job.status == "succeeded"
    assert job_state(job)["series_count"] == 1


def test_jobs_running_at_backup_time_run_again_after_a_restore(
    api, model_id, sleeper_worker, stack, tmp_path
):
    from django.core.management import call_command
    from django.db import connection

    sleeper_worker("sleeper-a")
    job_id = submit(api, model_id, duration_s=4)
    wait_status(job_id, "running")
    database = connection.settings_dict["NAME"]
    dump = tmp_path / "backup.dump"
    subprocess.run(
        ["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "-Fc", "-f", dump, database], check=True
    )
    assert wait_status(job_id, TERMINAL).status == "succeeded"

    # The cluster fails; PostgreSQL comes back from the backup, where the job was running.
    stack.kill("dispatcher")
    stack.kill("events")
    connection.close()
    subprocess.run(
        [
            "pg_restore",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "--clean",
            "--if-exists",
            "--single-transaction",
            "-d",
            database,
            dump,
        ],
        check=True,
    )
    assert status(job_id) == "running"
    call_command("requeue_after_restore")
    stack.start("events", "manage.py", "run_events_consumer")
    stack.start("dispatcher", "manage.py", "run_dispatcher", "--interval", "0.5")

    job = wait_status(job_id, TERMINAL)
    assert job.status == "succeeded"
    assert job.attempts == 2
    assert stored_points(job) == 24


def test_new_workflow_type_is_offered_as_soon_as_its_worker_runs(
    api, model_id, stack, transactional_db
):
    stack.start_worker("echo-worker", workflows="tests.omotes.echo_plugin:workflow")
    wait_for(
        lambda: any(w["name"] == "echo" for w in api.get("/api/workflows/").json()),
        60,
        "the echo workflow to be offered",
    )
    echo = next(w for w in api.get("/api/workflows/").json() if w["name"] == "echo")
    assert echo["available"] is True
    assert [p["key"] for p in echo["parameters"]] == ["note", "level"]
    assert echo["parameters"][1]["options"] == ["info", "warning"]

    response = api.post(
        "/api/jobs/",
        {"model": model_id, "workflow": "echo", "params": {"note": "hi", "level": "info"}},
        format="json",
    )
    assert response.status_code == 201, response.content
    job = wait_status(response.json()["id"], TERMINAL)
    stack.kill("echo-worker")

    assert job.status == "succeeded"
    assert job.output_esdl == Job.objects.get(pk=job.pk).esdl
