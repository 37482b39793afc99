"""Retention (R12): results stay unless the operator's policy expires them; no job database
outlives its job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.jobs.models import Job, JobRecord, Worker
from apps.jobs.workflows import last_offered
from apps.results.influx import influx_client
from apps.retention.models import Deactivation, RetentionPolicy
from apps.retention.services import apply_retention
from tests.jobs.builders import make_job

pytestmark = pytest.mark.django_db


def finished_job(owner, days_old: int = 0, status=Job.Status.SUCCEEDED) -> Job:
    job = make_job(owner)
    created = timezone.now() - timedelta(days=days_old)
    Job.objects.filter(pk=job.pk).update(status=status, created_at=created, finished_at=created)
    job.refresh_from_db()
    influx_client().create_database(job.database)
    influx_client().write_lines(job.database, [f"Sleeper value=1 {int(created.timestamp())}"])
    return job


def has_database(job: Job) -> bool:
    return job.database in influx_client().list_databases()


@pytest.fixture
def policy():
    return RetentionPolicy.current()


def results_deleted(job: Job) -> bool:
    """The retention took the job's results; the job and its history stay (R24)."""
    return JobRecord.objects.filter(job=job, results_deleted_at__isnull=False).exists()


def test_by_default_nothing_is_deleted(owner):
    old = finished_job(owner, days_old=3650)
    owner.is_active = False
    owner.save()

    report = apply_retention(now=timezone.now() + timedelta(days=3650))

    assert report.deleted_jobs == []
    assert Job.objects.filter(pk=old.pk).exists()
    assert has_database(old)
    influx_client().drop_database(old.database)


def test_jobs_older_than_the_limit_go_with_their_database(owner, policy):
    policy.max_job_age_days = 30
    policy.save()
    old, recent = finished_job(owner, days_old=31), finished_job(owner, days_old=2)
    running = finished_job(owner, days_old=40, status=Job.Status.RUNNING)

    report = apply_retention()

    assert report.deleted_jobs == [str(old.pk)]
    # The results go, the history stays (R24), and a second run has nothing left to do.
    assert Job.objects.get(pk=old.pk).record.results_deleted_at is not None
    assert not has_database(old)
    assert apply_retention().deleted_jobs == []
    assert has_database(recent) and Job.objects.filter(pk=running.pk).exists()
    for job in (recent, running):
        influx_client().drop_database(job.database)


def test_jobs_of_a_deactivated_user_go_after_the_grace_period(owner, make_user, policy):
    policy.inactive_user_days = 7
    policy.save()
    other = make_user()
    job, others_job = finished_job(owner), finished_job(other)
    owner.is_active = False
    owner.save()
    now = timezone.now()

    first = apply_retention(now=now)
    too_early = apply_retention(now=now + timedelta(days=6))
    late = apply_retention(now=now + timedelta(days=8))

    assert first.newly_deactivated == 1 and first.deleted_jobs == []
    assert too_early.deleted_jobs == []
    assert late.deleted_jobs == [str(job.pk)]
    assert not has_database(job)
    assert Job.objects.filter(pk=others_job.pk).exists()
    influx_client().drop_database(others_job.database)


def test_jobs_a_deactivated_user_ran_on_someone_elses_model_stay(owner, make_user, policy):
    """Such jobs are the project owner's (apps.sharing.access), whoever submitted them."""
    policy.inactive_user_days = 7
    policy.save()
    editor = make_user()
    job = finished_job(owner)
    Job.objects.filter(pk=job.pk).update(owner=editor)
    editor.is_active = False
    editor.save()
    now = timezone.now()

    apply_retention(now=now)
    late = apply_retention(now=now + timedelta(days=8))

    assert late.deleted_jobs == []
    assert Job.objects.filter(pk=job.pk).exists()
    influx_client().drop_database(job.database)


def test_deleting_a_submitter_keeps_the_project_owners_job(owner, make_user):
    editor = make_user()
    job = finished_job(owner)
    Job.objects.filter(pk=job.pk).update(owner=editor)

    editor.delete()

    job.refresh_from_db()
    assert job.owner is None
    assert has_database(job)
    influx_client().drop_database(job.database)


def test_an_account_active_again_starts_a_new_grace_period(owner, policy):
    policy.inactive_user_days = 7
    policy.save()
    job = finished_job(owner)
    owner.is_active = False
    owner.save()
    apply_retention(now=timezone.now() - timedelta(days=30))
    owner.is_active = True
    owner.save()

    apply_retention()

    assert not Deactivation.objects.exists()
    assert Job.objects.filter(pk=job.pk).exists()
    influx_client().drop_database(job.database)


def test_deleting_a_user_drops_the_databases_of_their_jobs(
    owner, django_capture_on_commit_callbacks
):
    jobs = [finished_job(owner), finished_job(owner)]

    with django_capture_on_commit_callbacks(execute=True):
        owner.delete()

    assert not Job.objects.filter(pk__in=[j.pk for j in jobs]).exists()
    assert not any(has_database(job) for job in jobs)


def test_the_command_applies_the_policy_once(owner, policy, capsys):
    policy.max_job_age_days = 1
    policy.save()
    job = finished_job(owner, days_old=5)

    call_command("apply_retention")

    assert "1 jobs deleted" in capsys.readouterr().out
    assert results_deleted(job)


def test_there_is_one_policy_row(policy):
    RetentionPolicy(max_job_age_days=3).save()

    assert RetentionPolicy.objects.count() == 1
    assert RetentionPolicy.current().max_job_age_days == 3


@pytest.mark.django_db(transaction=True)
def test_the_loop_keeps_applying_and_stops_on_sigterm(owner, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from django.conf import settings

    from tests.conftest import ROOT

    policy = RetentionPolicy.current()
    policy.max_job_age_days = 1
    policy.save()
    env = dict(os.environ, DT_DB_NAME=settings.DATABASES["default"]["NAME"])
    process = subprocess.Popen(
        [sys.executable, "manage.py", "apply_retention", "--loop", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        job = finished_job(owner, days_old=5)  # appears while the loop runs
        deadline = time.monotonic() + 60
        while not results_deleted(job) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert results_deleted(job)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0


def announced(worker_id: str, days_ago: float, *workflows: str) -> None:
    seen = timezone.now() - timedelta(days=days_ago)
    Worker.objects.create(
        worker_id=worker_id,
        host="h",
        slots=1,
        workflows=[{"name": name} for name in workflows],
        started_at=seen,
        last_seen=seen,
    )


def test_workers_gone_for_a_month_are_forgotten_but_the_last_of_each_workflow(owner):
    announced("restarted-long-ago", 60, "sleeper", "simulator")
    announced("last-simulator", 40, "simulator")
    announced("only-optimizer", 90, "optimizer")
    announced("gone-last-week", 5, "sleeper")
    announced("alive", 0, "sleeper")

    report = apply_retention()

    remaining = set(Worker.objects.filter(host="h").values_list("worker_id", flat=True))
    assert remaining == {"last-simulator", "only-optimizer", "gone-last-week", "alive"}
    assert report.forgotten_workers == 1
    assert last_offered("simulator") == Worker.objects.get(pk="last-simulator").last_seen
