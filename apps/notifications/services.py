"""Telling users things: the bell (in-app, live over the websocket) and the mail outbox.

Other apps call these functions; none of them sends anything in a request. ``notify`` writes the
notification and pushes the new unread count after commit; ``queue_mail`` puts a mail in the
outbox, which the notifier sends (``send_due_mail``), again and again while SMTP is away.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.notifications.models import (
    JobEmailChoice,
    JobEnd,
    Notification,
    OutgoingMail,
    Preference,
)
from designtoolkit.live_sends import group_send

logger = logging.getLogger(__name__)

#: The longest wait between two attempts at a mail the SMTP server refused or never answered.
MAX_RETRY_DELAY = timedelta(minutes=15)
#: How long a sent (or given up) mail stays in the outbox for staff to look up, and a read
#: notification under the bell.
KEEP_SENT_MAIL = timedelta(days=30)
KEEP_READ_NOTIFICATIONS = timedelta(days=90)


def bell_group(user_id: int) -> str:
    """The open pages of one user listen here for their unread count."""
    return f"bell-{user_id}"


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notify(user, kind: Notification.Kind, text: str, url: str = "") -> Notification:
    """Put a line under the user's bell; their open pages see the new count once this commits."""
    note = Notification.objects.create(user=user, kind=kind, text=text[:300], url=url)
    transaction.on_commit(lambda: publish_unread(user.pk, note))
    return note


def publish_unread(user_id: int, note: Notification | None = None) -> None:
    """Send the user's pages their unread count (and the newest line). Best effort: a page that
    missed it gets the count again when its websocket reconnects."""
    message = {"type": "bell.update", "unread": unread_count(user_id)}
    if note is not None:
        message["latest"] = {"text": note.text, "url": note.url}
    try:
        group_send(bell_group(user_id), message)
    except Exception:  # noqa: BLE001 - the channel layer is best effort; the row is the truth
        logger.warning("could not update the bell of user %s", user_id, exc_info=True)


def mark_read(user, pk: int | None = None) -> int:
    """Mark one notification (or all) of the user read; returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        unread = unread.filter(pk=pk)
    changed = unread.update(read_at=timezone.now())
    if changed:
        transaction.on_commit(lambda: publish_unread(user.pk))
    return changed


def preference_of(user) -> Preference:
    """The user's defaults, unsaved field defaults when they never chose."""
    return Preference.objects.filter(user=user).first() or Preference(user=user)


def set_email_on_job_end(user, on: bool) -> None:
    Preference.objects.update_or_create(user=user, defaults={"email_on_job_end": on})


def choose_job_email(job, email: bool | None) -> None:
    """Record the submitter's choice for one job (None: their default applies)."""
    if email is not None:
        JobEmailChoice.objects.update_or_create(job=job, defaults={"email": email})


def job_ended(job_id) -> None:
    """A job reached a terminal state: remember to tell its submitter. Called by the lifecycle
    inside the move's transaction, so the end and the note of it commit together."""
    JobEnd.objects.get_or_create(job_id=job_id)


def absolute_url(path: str) -> str:
    return f"{settings.PUBLIC_URL}{path}"


def queue_mail(to: str, subject: str, body: str) -> OutgoingMail | None:
    """Put a mail in the outbox; the notifier sends it. Nothing for a user without an address."""
    if not to:
        return None
    return OutgoingMail.objects.create(to=to, subject=subject[:200], body=body)


def send_due_mail(now: datetime | None = None, limit: int = 100) -> int:
    """Send the outbox's due mails over one SMTP connection; returns how many went out.

    A mail the server does not take is tried again later, waiting longer each time (up to
    ``MAX_RETRY_DELAY``), until it is ``NOTIFY_MAIL_MAX_AGE_H`` hours old. Nothing else depends
    on it: the jobs and tickets it tells of are done already.
    """
    now = now or timezone.now()
    give_up_before = now - timedelta(hours=settings.NOTIFY_MAIL_MAX_AGE_H)
    pending = OutgoingMail.objects.filter(sent_at__isnull=True, given_up_at__isnull=True)
    pending.filter(created_at__lt=give_up_before).update(given_up_at=now)
    due = list(pending.filter(next_attempt_at__lte=now)[:limit])
    if not due:
        return 0
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:  # noqa: BLE001 - server away or refusing: every due mail waits
        for mail in due:
            _postpone(mail, now, exc)
        return 0
    sent = 0
    try:
        for mail in due:
            message = EmailMessage(
                mail.subject,
                mail.body,
                settings.DEFAULT_FROM_EMAIL,
                [mail.to],
                connection=connection,
            )
            try:
                message.send()
            except (
                smtplib.SMTPRecipientsRefused,
                smtplib.SMTPSenderRefused,
                smtplib.SMTPDataError,
            ) as exc:  # this mail refused; the next may pass
                _postpone(mail, now, exc)
                continue
            except OSError as exc:  # (SMTP errors are OSErrors) the connection is gone
                _postpone(mail, now, exc)
                break  # the rest waits for the next round
            OutgoingMail.objects.filter(pk=mail.pk).update(
                sent_at=timezone.now(), attempts=mail.attempts + 1, last_error=""
            )
            sent += 1
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail too
            pass
    return sent


def _postpone(mail: OutgoingMail, now: datetime, exc: Exception) -> None:
    attempts = mail.attempts + 1
    delay = min(timedelta(seconds=10 * 2 ** (attempts - 1)), MAX_RETRY_DELAY)
    logger.warning("mail %s to %s not sent (attempt %s): %s", mail.pk, mail.to, attempts, exc)
    OutgoingMail.objects.filter(pk=mail.pk).update(
        attempts=attempts, next_attempt_at=now + delay, last_error=f"{type(exc).__name__}: {exc}"
    )


def prune(now: datetime | None = None) -> int:
    """Forget sent and given-up mails and read notifications past their keeping time."""
    now = now or timezone.now()
    mails, _ = OutgoingMail.objects.filter(
        Q(sent_at__lt=now - KEEP_SENT_MAIL) | Q(given_up_at__lt=now - KEEP_SENT_MAIL)
    ).delete()
    notes, _ = Notification.objects.filter(read_at__lt=now - KEEP_READ_NOTIFICATIONS).delete()
    return mails + notes
