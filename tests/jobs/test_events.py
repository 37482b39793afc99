"""The events consumer against every delivery accident, called directly (no worker processes).

Each test delivers events as the broker would hand them over (twice, late, out of order, from a
run the job no longer counts) and checks the job row, its history, and the cancel requests the
workers receive on the real control exchange once the event's transaction commits.
"""

from __future__ import annotations

import logging

import pytest

from apps.jobs.events import handle_worker_event
from apps.jobs.models import Job, JobEvent, Worker
from apps.jobs.services import cancel_job
from omotes.protocol import EventKind
from tests.jobs.worker_events import announce, deliver, event

pytestmark = pytest.mark.django_db

STARTED, PROGRESS, RESULT, ERROR = (
    EventKind.STARTED,
    EventKind.PROGRESS,
    EventKind.RESULT,
    EventKind.ERROR,
)
SERIES = [
    {
        "asset_id": "a",
        "asset_name": "Source",
        "asset_class": "GenericProducer",
        "measurement": "GenericProducer",
        "field": "heat_supplied",
        "unit": "W",
        "points": 24,
    }
]


def history(job: Job) -> list[str]:
    return list(JobEvent.objects.filter(job=job).values_list("kind", flat=True))


def fresh(job: Job) -> Job:
    return Job.objects.get(pk=job.pk)


def keep(run: str | None) -> dict:
    """The keep_run of a cancel request: which run of the job may go on (None: none)."""
    return {"kind": "cancel", "keep_run": run}


def sent(cancels, job: Job) -> list[dict]:
    return [{"kind": m["kind"], "keep_run": m["keep_run"]} for m in cancels(job)]


def test_the_same_started_twice_counts_one_attempt(
    make_job, cancels, django_capture_on_commit_callbacks
):
    job = make_job()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(STARTED, "worker-a", job, run_id="run1")
        deliver(STARTED, "worker-a", job, run_id="run1")

    job = fresh(job)
    assert (job.status, job.run_id, job.attempts) == ("running", "run1", 1)
    assert history(job) == ["queued", "dispatched", "started"]
    assert sent(cancels, job) == []


def test_the_same_result_twice_records_one_result(
    make_job, cancels, django_capture_on_commit_callbacks
):
    job = make_job()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(STARTED, "worker-a", job, run_id="run1")
        deliver(RESULT, "worker-a", job, run_id="run1", series=SERIES)
        deliver(RESULT, "worker-a", job, run_id="run1", series=SERIES + SERIES)

    job = fresh(job)
    assert (job.status, job.run_id, job.attempts) == ("succeeded", "run1", 1)
    assert job.series == SERIES
    assert history(job) == ["queued", "dispatched", "started", "result"]
    assert sent(cancels, job) == [keep("run1")]  # any other run of the job stops


def test_progress_after_the_result_changes_nothing(make_job, django_capture_on_commit_callbacks):
    job = make_job()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(STARTED, "worker-a", job, run_id="run1")
        deliver(RESULT, "worker-a", job, run_id="run1", series=SERIES)
        deliver(PROGRESS, "worker-a", job, run_id="run1", fraction=0.5, message="late")

    job = fresh(job)
    assert (job.status, job.progress, job.progress_message) == ("succeeded", 1.0, "done")
    assert history(job) == ["queued", "dispatched", "started", "result"]


def test_an_error_after_the_user_cancelled_keeps_the_job_cancelled(
    make_job, cancels, django_capture_on_commit_callbacks
):
    job = make_job()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(STARTED, "worker-a", job, run_id="run1")
        assert cancel_job(job, by="owner@example.com")
        deliver(ERROR, "worker-a", job, run_id="run1", reason="Job was cancelled.")

    job = fresh(job)
    assert (job.status, job.error) == ("cancelled", "Cancelled by the user.")
    assert history(job) == ["queued", "dispatched", "started", "cancelled"]
    assert sent(cancels, job) == [keep(None)]


def test_a_result_before_its_start_succeeds_and_the_late_start_changes_nothing(
    make_job, django_capture_on_commit_callbacks
):
    job = make_job()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(RESULT, "worker-a", job, run_id="run1", series=SERIES)
        deliver(STARTED, "worker-a", job, run_id="run1")

    job = fresh(job)
    assert (job.status, job.run_id, job.worker_id) == ("succeeded", "run1", "worker-a")
    assert job.attempts == 0  # its start was never applied; the history agrees
    assert history(job) == ["queued", "dispatched", "result"]


def test_progress_before_the_start_is_ignored_and_progress_after_it_counts(
    make_job, django_capture_on_commit_callbacks
):
    job = make_job()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(PROGRESS, "worker-a", job, run_id="run1", fraction=0.3, message="early")
        assert (fresh(job).status, fresh(job).progress) == ("dispatched", 0.0)
        deliver(STARTED, "worker-a", job, run_id="run1")
        deliver(PROGRESS, "worker-a", job, run_id="run1", fraction=0.4, message="on", step="1/2")

    job = fresh(job)
    assert (job.status, job.progress, job.progress_message, job.step) == (
        "running",
        0.4,
        "on",
        "1/2",
    )
    assert history(job) == ["queued", "dispatched", "started"]  # progress is not history


def test_an_error_before_the_start_fails_the_job(make_job, django_capture_on_commit_callbacks):
    """A worker that does not run the workflow reports an error without a start."""
    job = make_job()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(
            ERROR,
            "worker-a",
            job,
            run_id="run1",
            reason="This worker does not run it.",
            logs="ERROR omotes.worker: no such workflow\n",
        )

    job = fresh(job)
    assert (job.status, job.error, job.attempts) == ("failed", "This worker does not run it.", 0)
    assert job.log_tail == "ERROR omotes.worker: no such workflow\n"
    assert history(job) == ["queued", "dispatched", "error"]


def test_events_of_a_run_from_before_a_requeue_are_ignored_and_that_run_is_stopped(
    make_job, cancels, django_capture_on_commit_callbacks
):
    job = make_job()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(STARTED, "worker-a", job, run_id="run1")
        deliver(EventKind.LEAVE, "worker-a")
        deliver(STARTED, "worker-b", job, run_id="run2")
    assert sent(cancels, job) == [keep(None)]  # the requeue stops every run

    with django_capture_on_commit_callbacks(execute=True):
        deliver(PROGRESS, "worker-a", job, run_id="run1", fraction=0.9, message="stale")
        deliver(ERROR, "worker-a", job, run_id="run1", reason="stale run failed")
        deliver(STARTED, "worker-a", job, run_id="run1")  # a duplicate delivery of its start

    job = fresh(job)
    assert (job.status, job.run_id, job.worker_id, job.attempts) == (
        "running",
        "run2",
        "worker-b",
        2,
    )
    assert (job.progress, job.error) == (0.0, "")
    assert history(job) == ["queued", "dispatched", "started", "requeued", "started"]
    assert sent(cancels, job) == [keep("run2")]


def test_a_heartbeat_listing_a_run_the_job_does_not_count_stops_it(
    make_job, cancels, django_capture_on_commit_callbacks
):
    job = make_job()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(STARTED, "worker-b", job, run_id="run2")
        deliver(
            EventKind.HEARTBEAT,
            "worker-a",
            host="h",
            slots=1,
            workflows=[],
            running=[{"job_id": str(job.id), "run_id": "run1"}],
        )
        deliver(
            EventKind.HEARTBEAT,
            "worker-b",
            host="h",
            slots=1,
            workflows=[],
            running=[{"job_id": str(job.id), "run_id": "run2"}],
        )

    assert sent(cancels, job) == [keep("run2")]


def test_a_leaving_worker_has_its_job_queued_again(
    make_job, cancels, django_capture_on_commit_callbacks
):
    announce("worker-a")
    job = make_job()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(STARTED, "worker-a", job, run_id="run1")
        deliver(PROGRESS, "worker-a", job, run_id="run1", fraction=0.5, message="half")
        deliver(EventKind.LEAVE, "worker-a")

    job = fresh(job)
    assert (job.status, job.run_id, job.worker_id, job.attempts) == ("queued", "", "", 1)
    assert job.progress == 0.0
    requeued = JobEvent.objects.get(job=job, kind="requeued")
    assert (requeued.worker_id, requeued.detail) == (
        "worker-a",
        "The worker running this job (worker-a) shut down.",
    )
    assert Worker.objects.get(pk="worker-a").left_at is not None
    assert sent(cancels, job) == [keep(None)]


def test_a_leaving_worker_fails_the_job_that_used_its_last_attempt(
    make_job, settings, django_capture_on_commit_callbacks
):
    settings.JOB_MAX_ATTEMPTS = 2
    job = make_job()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(STARTED, "worker-a", job, run_id="run1")
        deliver(EventKind.LEAVE, "worker-a")
        deliver(STARTED, "worker-b", job, run_id="run2")
        deliver(EventKind.LEAVE, "worker-b")

    job = fresh(job)
    assert (job.status, job.attempts) == ("failed", 2)
    assert job.error == (
        "The worker running this job (worker-b) shut down. Gave up after 2 attempts."
    )
    assert job.finished_at is not None
    assert history(job) == ["queued", "dispatched", "started", "requeued", "started", "failed"]


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda e: {**e, "version": "99.0"}, id="unknown-version"),
        pytest.param(lambda e: {**e, "kind": "exploded"}, id="unknown-kind"),
        pytest.param(lambda e: {**e, "job_id": "not-a-uuid"}, id="bad-job-id"),
        pytest.param(lambda e: {**e, "job_id": None}, id="job-event-without-job"),
        pytest.param(lambda e: {**e, "payload": {"fraction": "lots"}}, id="bad-fraction"),
        pytest.param(
            lambda e: {**e, "kind": "heartbeat", "payload": {"running": [{"job_id": "x"}]}},
            id="bad-heartbeat",
        ),
    ],
)
def test_malformed_events_are_dropped(make_job, caplog, mangle):
    job = make_job()
    deliver(STARTED, "worker-a", job, run_id="run1")
    progress = event(PROGRESS, "worker-a", job, run_id="run1", fraction=0.5)

    with caplog.at_level(logging.WARNING, logger="apps.jobs.events"):
        handle_worker_event(mangle(progress))

    job = fresh(job)
    assert (job.status, job.progress) == ("running", 0.0)
    assert history(job) == ["queued", "dispatched", "started"]
    assert not Worker.objects.exists()
    assert "dropping malformed worker event" in caplog.text
