"""E-mails when jobs end: content per outcome, one digest per batch, the user's choice, and SMTP
outages, with mails sent to a real SMTP server on loopback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from apps.jobs import lifecycle
from apps.jobs.models import Job
from apps.notifications.batches import tell_ended_jobs
from apps.notifications.models import JobEnd, Notification, OutgoingMail
from apps.notifications.services import (
    choose_job_email,
    prune,
    send_due_mail,
    set_email_on_job_end,
)
from tests.jobs.builders import make_job

KPIS = [
    {"name": "Total heat supplied", "value": 1234567.891, "unit": "MWh"},
    {"name": "Levelised cost of heat", "value": 42.5, "unit": "EUR/MWh"},
]


def end_job(owner, outcome: str, **fields) -> Job:
    """A job that ran for 1:02:03 and ended with ``outcome``, through the lifecycle's moves."""
    job = make_job(owner)
    lifecycle.transition(job.pk, lifecycle.SUBMIT)
    if outcome == "cancelled":
        assert lifecycle.transition(job.pk, lifecycle.CANCEL, detail="by test")
        return Job.objects.get(pk=job.pk)
    assert lifecycle.transition(job.pk, lifecycle.START, run_id="r1", worker_id="w1")
    move = lifecycle.SUCCEED if outcome == "succeeded" else lifecycle.FAIL
    assert lifecycle.transition(job.pk, move, run_id="r1", worker_id="w1", **fields)
    Job.objects.filter(pk=job.pk).update(started_at=F("finished_at") - timedelta(seconds=3723))
    return Job.objects.get(pk=job.pk)


def after_window():
    return timezone.now() + timedelta(seconds=settings.NOTIFY_BATCH_WINDOW_S + 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "outcome,fields,expected",
    [
        (
            "succeeded",
            {"kpis": KPIS},
            [
                "Outcome:  succeeded",
                "Duration: 1:02:03",
                "Total heat supplied: 1,234,567.89 MWh",
                "Levelised cost of heat: 42.50 EUR/MWh",
            ],
        ),
        (
            "failed",
            {"error": "Solver diverged at step 17"},
            ["Outcome:  failed", "Duration: 1:02:03", "Error:", "Solver diverged at step 17"],
        ),
        (
            "cancelled",
            {},
            ["Outcome:  cancelled", "Duration: did not start", "Cancelled by the user."],
        ),
    ],
)
def test_the_submitter_gets_one_mail_with_outcome_duration_kpis_and_link(
    owner, smtp, outcome, fields, expected
):
    job = end_job(owner, outcome, **fields)
    assert JobEnd.objects.filter(job=job).exists()  # noted in the move's own transaction

    assert tell_ended_jobs() == 0  # the batch is open to more submissions for a while
    assert tell_ended_jobs(after_window()) == 1
    assert send_due_mail() == 1

    [mail] = smtp.mails()
    assert mail.recipients == [owner.email]
    assert mail.subject == f"[Design Toolkit] Job no-worker-offers-this on m {outcome}"
    for text in expected:
        assert text in mail.body, mail.body
    assert f"{settings.PUBLIC_URL}/jobs/{job.pk}/" in mail.body
    if outcome != "succeeded":
        assert "Key performance indicators" not in mail.body
    note = Notification.objects.get(user=owner)
    assert (
        note.text == f"Job no-worker-offers-this on m {outcome}." and note.url == f"/jobs/{job.pk}/"
    )
    # Told once: the end is gone, and another round sends nothing.
    assert not JobEnd.objects.exists()
    assert tell_ended_jobs(after_window()) == 0 and send_due_mail() == 0
    assert len(smtp.mails()) == 1


@pytest.mark.django_db
def test_a_batch_gets_one_digest_when_its_last_job_ends(owner, smtp):
    outcomes = ["succeeded"] * 3 + ["failed", "cancelled"]
    jobs = [end_job(owner, outcome, error="boom") for outcome in outcomes[:-1]]
    still_running = make_job(owner)  # submitted with the others, not ended yet
    lifecycle.transition(still_running.pk, lifecycle.SUBMIT)

    assert tell_ended_jobs(after_window()) == 0
    assert send_due_mail() == 0 and not Notification.objects.exists()

    assert lifecycle.transition(still_running.pk, lifecycle.CANCEL)
    assert tell_ended_jobs(after_window()) == 1
    send_due_mail()

    [mail] = smtp.mails()
    assert mail.subject == "[Design Toolkit] 5 jobs ended: 3 succeeded, 1 failed, 1 cancelled"
    for job in [*jobs, still_running]:
        assert f"/jobs/{job.pk}/" in mail.body
    assert "Error: boom" in mail.body
    [note] = Notification.objects.filter(user=owner)
    assert note.text == "5 jobs you started have ended: 3 succeeded, 1 failed, 1 cancelled."


@pytest.mark.django_db
def test_jobs_submitted_a_window_apart_are_separate_batches(owner, smtp):
    first = end_job(owner, "succeeded")
    Job.objects.filter(pk=first.pk).update(
        created_at=F("created_at") - timedelta(seconds=settings.NOTIFY_BATCH_WINDOW_S + 5)
    )
    second = end_job(owner, "failed")

    assert tell_ended_jobs(after_window()) == 2
    send_due_mail()

    subjects = sorted(m.subject for m in smtp.mails())
    assert subjects == [
        "[Design Toolkit] Job no-worker-offers-this on m failed",
        "[Design Toolkit] Job no-worker-offers-this on m succeeded",
    ]
    assert {n.url for n in Notification.objects.all()} == {
        first.get_absolute_url(),
        second.get_absolute_url(),
    }


@pytest.mark.django_db
def test_opting_out_stops_the_mail_not_the_bell_and_a_job_can_choose_otherwise(owner, smtp):
    set_email_on_job_end(owner, False)
    quiet = end_job(owner, "succeeded")
    assert tell_ended_jobs(after_window()) == 1
    assert send_due_mail() == 0 and not smtp.mails()
    assert Notification.objects.filter(user=owner, url=quiet.get_absolute_url()).exists()

    # Per job, at submit: this one asks for a mail although the default is off...
    wanted = make_job(owner)
    choose_job_email(wanted, True)
    lifecycle.transition(wanted.pk, lifecycle.CANCEL)
    # ... and with the default on, this one asks for none.
    set_email_on_job_end(owner, True)
    unwanted = make_job(owner)
    Job.objects.filter(pk=unwanted.pk).update(
        created_at=F("created_at") + timedelta(seconds=settings.NOTIFY_BATCH_WINDOW_S + 1)
    )
    choose_job_email(unwanted, False)
    lifecycle.transition(unwanted.pk, lifecycle.CANCEL)

    tell_ended_jobs(timezone.now() + timedelta(seconds=3 * settings.NOTIFY_BATCH_WINDOW_S))
    send_due_mail()
    [mail] = smtp.mails()
    assert f"/jobs/{wanted.pk}/" in mail.body


@pytest.mark.django_db
def test_smtp_down_leaves_the_job_alone_and_the_mail_goes_when_smtp_is_back(owner, smtp_down):
    job = end_job(owner, "succeeded", kpis=KPIS)
    tell_ended_jobs(after_window())

    assert send_due_mail() == 0  # nobody listens on the SMTP port
    mail = OutgoingMail.objects.get()
    assert mail.sent_at is None and mail.attempts == 1
    assert "Connection refused" in mail.last_error or "Errno" in mail.last_error
    assert Job.objects.get(pk=job.pk).status == Job.Status.SUCCEEDED
    # Not again before its retry time: the notifier's rounds do not hammer a dead server.
    assert send_due_mail() == 0 and OutgoingMail.objects.get().attempts == 1
    assert send_due_mail(mail.next_attempt_at) == 0
    assert OutgoingMail.objects.get().attempts == 2

    smtp_down.start()
    retry_at = OutgoingMail.objects.get().next_attempt_at
    assert send_due_mail(retry_at) == 1
    [caught] = smtp_down.mails()
    assert "Total heat supplied" in caught.body
    assert OutgoingMail.objects.get().sent_at is not None
    # Kept a month for staff to look up, then forgotten.
    assert prune(timezone.now() + timedelta(days=29)) == 0
    assert prune(timezone.now() + timedelta(days=31)) == 1


@pytest.mark.django_db
def test_a_mail_refused_for_days_is_given_up(owner, smtp_down):
    end_job(owner, "failed", error="x")
    tell_ended_jobs(after_window())
    later = timezone.now() + timedelta(hours=settings.NOTIFY_MAIL_MAX_AGE_H + 1)
    assert send_due_mail(later) == 0
    assert OutgoingMail.objects.get().given_up_at is not None
