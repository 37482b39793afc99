"""Jobs, their event history, and the workers that announced themselves.

PostgreSQL is the system of record for every job (DESIGN.md): the dispatcher, the events consumer
and the reconciler only ever move a job forward with conditional updates on its status, so a
message delivered twice or late cannot move a finished job back.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone


class JobQuerySet(models.QuerySet):
    def visible_to(self, user) -> QuerySet[Job]:
        return self.filter(owner=user)

    def active(self) -> QuerySet[Job]:
        return self.filter(status__in=Job.ACTIVE)


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        DISPATCHED = "dispatched"  # sent to the workflow's queue, no worker has started it yet
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    ACTIVE = (Status.QUEUED, Status.DISPATCHED, Status.RUNNING)
    TERMINAL = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    esdl_model = models.ForeignKey(
        "esdlmodels.EsdlModel", on_delete=models.CASCADE, related_name="jobs"
    )
    workflow = models.CharField(max_length=100)
    workflow_version = models.CharField(max_length=50, blank=True)
    params = models.JSONField(default=dict)
    esdl = models.TextField(
        help_text="The ESDL as sent to the worker (profiles and pipes resolved)"
    )
    time_limit_s = models.PositiveIntegerField()

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0, help_text="0..1")
    progress_message = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    worker_id = models.CharField(max_length=200, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    series = models.JSONField(default=list, help_text="Output series the worker wrote")
    messages = models.JSONField(default=list, help_text="Per-asset messages with severity")
    output_esdl = models.TextField(blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.workflow} on {self.esdl_model} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("jobs:detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def database(self) -> str:
        return f"job_{self.id.hex}"

    @property
    def duration(self) -> timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def value_count(self) -> int:
        return sum(int(s.get("points", 0)) for s in self.series)


class JobEvent(models.Model):
    """What happened to a job, in order: the history behind R24 and the job page's log."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20)
    worker_id = models.CharField(max_length=200, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M:%S}"


class WorkerQuerySet(models.QuerySet):
    def alive(self) -> QuerySet[Worker]:
        cutoff = timezone.now() - timedelta(seconds=settings.WORKER_TIMEOUT_S)
        return self.filter(left_at__isnull=True, last_seen__gte=cutoff)


class Worker(models.Model):
    """A worker process as it announced itself; alive while its heartbeats keep coming."""

    worker_id = models.CharField(max_length=200, primary_key=True)
    host = models.CharField(max_length=200)
    slots = models.PositiveIntegerField()
    workflows = models.JSONField(help_text="WorkflowDescription dicts as announced")
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    objects = WorkerQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.worker_id
