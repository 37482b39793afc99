"""Tickets as users and staff drive them: raise, reply, manage; each step tells the other side.

The bell and the mail outbox are ``apps.notifications``: nothing is sent here, in the request.
"""

from __future__ import annotations

from importlib import metadata

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.helpdesk.models import Attachment, Message, Ticket
from apps.jobs.models import Job
from apps.models.models import EsdlModel
from apps.notifications.models import Notification
from apps.notifications.services import absolute_url, notify, queue_mail
from apps.sharing.services import share

#: The end of a job's worker log a ticket keeps (the job page shows the rest while it exists).
LOG_TAIL_CHARS = 8_000
#: Packages whose versions a ticket records.
VERSIONED = ("omotes-simulator-core", "pyESDL", "Django")


def versions() -> dict[str, str]:
    found = {}
    for package in VERSIONED:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def _when(value) -> str:
    return value.isoformat() if value else ""


def job_context(job: Job) -> dict:
    """What staff need to know about a job, captured when the ticket is raised (the job may
    change or go later): workflow, versions, parameters, error, the end of the worker's log."""
    events = list(job.events.order_by("-at", "-pk")[:20])
    return {
        "job": str(job.id),
        "workflow": job.workflow,
        "workflow_version": job.workflow_version,
        "status": job.status,
        "params": job.params,
        "error": job.error[:4000],
        "attempts": job.attempts,
        "worker": job.worker_id,
        "submitted": _when(job.created_at),
        "started": _when(job.started_at),
        "finished": _when(job.finished_at),
        "model": job.esdl_model.name,
        "project": job.esdl_model.project.name,
        "versions": versions(),
        "events": [f"{e.at:%Y-%m-%d %H:%M:%S} {e.kind} {e.detail[:300]}" for e in reversed(events)],
        "log_tail": job.log_tail[-LOG_TAIL_CHARS:],
    }


def model_context(esdl_model: EsdlModel) -> dict:
    return {
        "model": esdl_model.name,
        "model_id": esdl_model.pk,
        "project": esdl_model.project.name,
        "size_bytes": esdl_model.size_bytes,
        "assets": esdl_model.summary.get("asset_total"),
        "profiles_status": esdl_model.profiles_status,
        "profiles_error": esdl_model.profiles_error[:2000],
        "uploaded": _when(esdl_model.created_at),
        "versions": versions(),
    }


def staff_to_tell(ticket: Ticket) -> list:
    """Whoever handles the ticket, or every active member of staff while nobody does."""
    if ticket.assignee_id and ticket.assignee.is_active:
        return [ticket.assignee]
    return list(get_user_model().objects.filter(is_staff=True, is_active=True))


def _add_message(ticket: Ticket, author, body: str, attachment, from_staff: bool) -> Message:
    message = Message.objects.create(ticket=ticket, author=author, body=body, from_staff=from_staff)
    if attachment:
        name, content_type, data = attachment
        Attachment.objects.create(
            message=message, name=name, content_type=content_type, size=len(data), data=data
        )
    return message


def _tell(users, ticket: Ticket, headline: str, body: str) -> None:
    """A bell line and a mail for each user, about the ticket."""
    link = absolute_url(ticket.get_absolute_url())
    for user in users:
        notify(
            user,
            Notification.Kind.TICKET,
            f"{headline}: {ticket.subject}",
            ticket.get_absolute_url(),
        )
        queue_mail(
            user.email,
            f"[Design Toolkit] {headline}: #{ticket.pk} {ticket.subject}",
            f"{headline}: #{ticket.pk} {ticket.subject}\n\n{body}\n\nOpen the ticket: {link}\n",
        )


@transaction.atomic
def raise_ticket(
    user,
    subject: str,
    body: str,
    *,
    job: Job | None = None,
    esdl_model: EsdlModel | None = None,
    page: str = "",
    attachment=None,
    team=None,
) -> Ticket:
    """Open a ticket; a job or model the user may see is linked, its context captured.

    The caller has checked that the user may see ``job`` / ``esdl_model``.
    """
    context = job_context(job) if job else model_context(esdl_model) if esdl_model else {}
    ticket = Ticket.objects.create(
        author=user,
        subject=subject,
        job=job,
        esdl_model=esdl_model,
        page=page[:500],
        context=context,
    )
    _add_message(ticket, user, body, attachment, from_staff=False)
    if team is not None:
        share(ticket, team, "view")
    _tell(staff_to_tell(ticket), ticket, f"New ticket from {user.email}", body)
    return ticket


@transaction.atomic
def reply(ticket: Ticket, author, body: str, attachment=None) -> Message:
    """Add a reply; staff replying put the ticket to "waiting for user", the user's reply opens
    it again. The other side is told."""
    from_staff = author.is_staff and author.pk != ticket.author_id
    message = _add_message(ticket, author, body, attachment, from_staff)
    ticket.status = Ticket.Status.WAITING if from_staff else Ticket.Status.OPEN
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["status", "updated_at"])
    if from_staff:
        _tell([ticket.author], ticket, "Support replied", body)
    else:
        _tell(staff_to_tell(ticket), ticket, f"{author.email} replied", body)
    return message


@transaction.atomic
def manage(ticket: Ticket, by, status: str, assignee) -> None:
    """Staff set the status and who handles the ticket; the author hears of a resolution, a new
    assignee of their ticket."""
    resolved_now = status == Ticket.Status.RESOLVED and ticket.status != status
    newly_assigned = assignee is not None and assignee.pk != ticket.assignee_id
    ticket.status = status
    ticket.assignee = assignee
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["status", "assignee", "updated_at"])
    if resolved_now:
        _tell([ticket.author], ticket, "Ticket resolved", f"{by.email} marked it resolved.")
    if newly_assigned and assignee.pk != by.pk:
        notify(
            assignee,
            Notification.Kind.TICKET,
            f"Assigned to you: {ticket.subject}",
            ticket.get_absolute_url(),
        )
