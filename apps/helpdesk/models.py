"""Support tickets (R15): a conversation between a user and staff, maybe about one job or model.

A ticket is its author's; they may share it with a team (a view grant in the tables below, read
by ``apps.sharing.access`` like any other grant). Staff see every ticket, and through an open one
the job or model it links to, each opening recorded in ``SupportAccess``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class Ticket(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WAITING = "waiting", "Waiting for user"
        RESOLVED = "resolved", "Resolved"

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tickets"
    )
    subject = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        limit_choices_to={"is_staff": True},
    )
    # What the ticket is about; staff may open it while the ticket is not resolved.
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="support_tickets"
    )
    esdl_model = models.ForeignKey(
        "models.EsdlModel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_tickets",
    )
    page = models.CharField(max_length=500, blank=True, help_text="The page it was raised from")
    context = models.JSONField(
        default=dict, blank=True, help_text="Captured when raised: workflow, versions, error, log"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("helpdesk:detail", args=[self.pk])


class TicketUserGrant(UserObjectPermissionBase):
    content_object = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="user_grants")


class TicketTeamGrant(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="team_grants")


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    from_staff = models.BooleanField(default=False)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket}: message {self.pk}"


class Attachment(models.Model):
    """A file sent with a message, kept in the database (small: size- and type-limited)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    data = models.BinaryField()

    def __str__(self) -> str:
        return self.name


class SupportAccess(models.Model):
    """A member of staff opened the job or model a ticket links to (written by
    ``apps.sharing.access.open_for_support``); the ticket page lists them, for its author too."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="support_accesses")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=50, help_text="What was opened, e.g. jobs.Job")
    object_id = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "support accesses"

    def __str__(self) -> str:
        return f"{self.staff} opened {self.kind} {self.object_id} for {self.ticket}"
