"""What a user is told, and how: in-app notifications, e-mail choices, the mail outbox (R28).

Nothing here is sent in a request. A job's end is written down in the transaction that ends it
(``JobEnd``); the notifier (``manage.py run_notifier``) turns ends into notifications and mails
(one digest per batch) and sends the outbox, trying again while the SMTP server is away.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Preference(models.Model):
    """A user's defaults (the account page); a user without a row gets the field defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_on_job_end = models.BooleanField(
        "E-mail me when my jobs end",
        default=True,
        help_text="Each job's default (submit form, API notify_email)",
    )

    def __str__(self) -> str:
        return f"{self.user}: e-mail on job end {'on' if self.email_on_job_end else 'off'}"


class JobEmailChoice(models.Model):
    """What the submitter chose for one job at submit; without a row, their default holds."""

    job = models.OneToOneField(
        "jobs.Job", on_delete=models.CASCADE, primary_key=True, related_name="email_choice"
    )
    email = models.BooleanField()

    def __str__(self) -> str:
        return f"job {self.job_id}: e-mail {'on' if self.email else 'off'}"


class JobEnd(models.Model):
    """A job that ended and whose submitter has not been told yet.

    Written by ``apps.jobs.lifecycle.transition`` in the transaction of the terminal move, so no
    end is lost between a commit and a crash; removed once its batch has been told.
    """

    job = models.OneToOneField(
        "jobs.Job", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    ended_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"job {self.job_id} ended {self.ended_at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """One line under the bell: a job or batch that ended, a ticket reply, a share."""

    class Kind(models.TextChoices):
        JOB = "job", "Job ended"
        TICKET = "ticket", "Support ticket"
        SHARE = "share", "Shared with you"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True, help_text="A path in the web app")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text


class OutgoingMail(models.Model):
    """A mail waiting in the outbox, or sent. The notifier sends what is due and, when the SMTP
    server refuses or is away, tries again later (``next_attempt_at``)."""

    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["sent_at", "given_up_at", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to}"
