"""One job through the real processes: JSON log lines that tell its story under one request id,
and the Prometheus metrics of every process (R27)."""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from prometheus_client import REGISTRY

from apps.jobs.models import Job, Worker
from omotes.influx import InfluxClient, InfluxError, InfluxSettings
from omotes.workflows.examples import POINTS
from tests.conftest import PASSWORD, bind_profiles, free_port, serve_web, wait_for
from tests.corpus import generated_network
from tests.jobs.builders import make_job
from tests.models.test_upload_api import upload


def log_lines(path) -> list[dict]:
    """Every line of a process's log, each of which must be a JSON object."""
    lines = []
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        try:
            record = json.loads(text)
        except ValueError:
            pytest.fail(f"{path.name} line {number} is not JSON: {text[:300]}")
        assert isinstance(record, dict), text
        lines.append(record)
    return lines


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text; fails the test when it is absent."""
    for line in text.splitlines():
        match = re.fullmatch(r"([a-zA-Z_:][\w:]*)(\{.*\})? (\S+)", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(3))
    pytest.fail(f"no sample {name}{labels} in:\n{text[:3000]}")


@pytest.fixture
def job_through_the_web(transactional_db, api, project, owner, stack):
    """A sleeper job submitted over HTTP to the real web server with our own request id, run to
    its end by a real worker that serves its metrics."""
    metrics_port = free_port()
    worker_id = f"ops-{uuid.uuid4().hex[:6]}"
    stack.env["OMOTES_METRICS_PORT"] = str(metrics_port)
    try:
        stack.start(
            "ops-worker", "-m", "omotes.worker", "--workflows", "sleeper", "--worker-id", worker_id
        )
    finally:
        stack.env.pop("OMOTES_METRICS_PORT")
    base = serve_web(stack)
    wait_for(lambda: Worker.objects.alive().filter(pk=worker_id).exists(), 60, "the worker")
    model = upload(api, project, "network", generated_network())
    bind_profiles(model.json()["id"])
    request_id = f"test-{uuid.uuid4().hex}"
    response = requests.post(
        f"{base}/api/jobs/",
        json={"model": model.json()["id"], "workflow": "sleeper", "params": {"duration_s": 0.5}},
        auth=(owner.email, PASSWORD),
        headers={"X-Request-ID": request_id},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    assert response.headers["X-Request-ID"] == request_id
    job_id = response.json()["id"]
    wait_for(
        lambda: Job.objects.filter(pk=job_id, status="succeeded").exists(), 90, "the job to succeed"
    )
    yield {
        "base": base,
        "job_id": job_id,
        "request_id": request_id,
        "worker_id": worker_id,
        "worker_metrics": f"http://127.0.0.1:{metrics_port}/metrics",
    }
    stack.kill("ops-worker")
    stack.kill("web")


def test_one_grep_for_the_request_id_tells_the_jobs_story_across_processes(
    job_through_the_web, stack
):
    job = job_through_the_web
    run_id = Job.objects.get(pk=job["job_id"]).run_id
    story: dict[str, list[dict]] = {}
    for name in ("web", "dispatcher", "events", "ops-worker"):
        for record in log_lines(stack.log_dir / f"{name}.log"):
            for key in ("timestamp", "level", "process", "event", "logger"):
                assert key in record, record
            if record.get("request_id") == job["request_id"]:
                story.setdefault(record["process"], []).append(record)
    assert set(story) >= {"webserver", "run_dispatcher", "run_events_consumer", "omotes.worker"}
    # The web request's line, with who made it.
    (access,) = [r for r in story["webserver"] if r["event"] == "request"]
    assert (access["method"], access["status"]) == ("POST", 201)
    assert access["user_id"] == Job.objects.get(pk=job["job_id"]).owner_id
    # The worker's lines carry the job, its run and the worker.
    # (and so would the job's own process, "omotes.job": the sleeper logs nothing there)
    for record in story["omotes.worker"] + story.get("omotes.job", []):
        assert (record["job_id"], record["run_id"], record["worker_id"]) == (
            job["job_id"],
            run_id,
            job["worker_id"],
        )
    assert any(r["job_id"] == job["job_id"] for r in story["run_events_consumer"])


def test_every_process_serves_its_metrics(job_through_the_web):
    job = job_through_the_web
    web = requests.get(f"{job['base']}/metrics", timeout=30)
    assert web.status_code == 200, web.text
    text = web.text
    assert sample(text, "dtk_jobs", state="succeeded", workflow="sleeper") >= 1
    assert (
        sample(text, "dtk_job_duration_seconds_count", workflow="sleeper", outcome="succeeded") >= 1
    )
    assert sample(text, "dtk_job_duration_seconds_bucket", workflow="sleeper", le="+Inf") >= 1
    assert sample(text, "dtk_worker_slots", workflow="sleeper", state="idle") >= 1
    assert (
        sample(
            text,
            "django_http_requests_latency_seconds_by_view_method_count",
            view="job-list",
            method="POST",
        )
        >= 1
    )
    worker = requests.get(job["worker_metrics"], timeout=10).text
    assert sample(worker, "dtk_influx_write_values_total") == POINTS
    events = requests.get(
        f"http://127.0.0.1:{os.environ['DT_EVENTS_METRICS_PORT']}/metrics", timeout=10
    ).text
    assert 0 <= sample(events, "dtk_events_lag_seconds") < 30
    assert sample(events, "dtk_events_total", kind="result") >= 1
    dispatcher = requests.get(
        f"http://127.0.0.1:{os.environ['DT_DISPATCHER_METRICS_PORT']}/metrics", timeout=10
    ).text
    assert sample(dispatcher, "dtk_jobs_dispatched_total") >= 1


def test_metrics_answer_only_an_allowed_network_or_the_token(client, settings, db):
    settings.METRICS_TOKEN = "a-scrape-token-for-this-test"
    settings.METRICS_ALLOWED_NETWORKS = ["10.9.0.0/16"]
    outside = {"REMOTE_ADDR": "192.0.2.7"}
    assert client.get("/metrics", **outside).status_code == 403
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope", **outside)
    assert wrong.status_code == 403
    token = client.get(
        "/metrics", HTTP_AUTHORIZATION="Bearer a-scrape-token-for-this-test", **outside
    )
    assert token.status_code == 200
    assert b"# TYPE dtk_jobs gauge" in token.content
    assert client.get("/metrics", REMOTE_ADDR="10.9.3.4").status_code == 200


def test_queue_age_and_influx_errors_are_counted(client, owner):
    job = make_job(owner)  # queued, of a workflow no worker offers
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert sample(text, "dtk_jobs", state="queued", workflow=job.workflow) == 1
    assert 300 <= sample(text, "dtk_queue_oldest_age_seconds", workflow=job.workflow) < 400

    before = REGISTRY.get_sample_value("dtk_influx_errors_total", {"operation": "query"}) or 0
    unreachable = InfluxClient(InfluxSettings(url=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(InfluxError):
        unreachable.query("SHOW DATABASES")
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert sample(text, "dtk_influx_errors_total", operation="query") == before + 1
