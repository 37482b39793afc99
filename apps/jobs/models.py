"""Jobs, their event history, and the workers that announced themselves.

PostgreSQL is the system of record for every job (DESIGN.md): its status changes only through the
moves of ``apps.jobs.lifecycle``, conditional updates on its status, so a message delivered twice
or late cannot move a finished job back.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from omotes.protocol import job_database


class JobQuerySet(models.QuerySet):
    def active(self) -> QuerySet[Job]:
        return self.filter(status__in=Job.ACTIVE)

    def as_table_rows(self) -> QuerySet[Job]:
        """The jobs with what a row of the job table shows (templates/jobs/_job_table.html) and
        nothing more: a job's model holds its whole ESDL, and each of a page's 50 rows fetched
        it, with the job's own parameters and results, for a name and a link."""
        return self.select_related("esdl_model__project", "owner", "record").only(
            "id",
            "name",
            "workflow",
            "status",
            "progress",
            "created_at",
            "started_at",
            "finished_at",
            "owner__email",
            "esdl_model__name",
            "esdl_model__project__name",
            "record__results_deleted_at",
        )


#: The longest job name a user may give.
NAME_MAX = 200


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
    # Who submitted the job (read: submitted_by). It gives no access: the job is its project
    # owner's, and the submitter reaches it through grants like anyone else (apps.sharing.access).
    # The queue's fair share and priority count the job against this user. Deleting that account
    # keeps the job (it is the project owner's) and forgets who submitted it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    esdl_model = models.ForeignKey(
        "models.EsdlModel", on_delete=models.CASCADE, related_name="jobs"
    )
    workflow = models.CharField(max_length=100)
    # What people call the job; empty: ``default_name`` (model, workflow, short id) stands in,
    # so a renamed model or a job nobody named still reads sensibly.
    name = models.CharField(max_length=NAME_MAX, blank=True)
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
    attempts = models.PositiveIntegerField(default=0, help_text="Runs started so far")
    worker_id = models.CharField(max_length=200, blank=True)
    run_id = models.CharField(
        max_length=64, blank=True, help_text="The run whose events count (a job may run twice)"
    )
    step = models.CharField(max_length=100, blank=True, help_text="Step of a sequence now running")

    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    series = models.JSONField(default=list, help_text="Output series the worker wrote")
    messages = models.JSONField(default=list, help_text="Per-asset messages with severity")
    kpis = models.JSONField(default=list, help_text="Key performance indicators of the outcome")
    output_esdl = models.TextField(blank=True)
    log_tail = models.TextField(
        blank=True, help_text="The end of the log of the run that succeeded or failed"
    )

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.workflow} on {self.esdl_model} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("jobs:detail", args=[self.pk])

    @property
    def short_id(self) -> str:
        return str(self.id)[:8]

    @property
    def default_name(self) -> str:
        return f"{self.esdl_model.name} · {self.workflow} · {self.short_id}"

    @property
    def display_name(self) -> str:
        """The name the user gave, else the default; the job page's title (never the UUID)."""
        return self.name or self.default_name

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def database(self) -> str:
        return job_database(self.id)

    @property
    def duration(self) -> timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def value_count(self) -> int:
        return sum(int(s.get("points", 0)) for s in self.series)


class JobEvent(models.Model):
    """What happened to a job, in order: the history behind R24 and the job page's log.

    Written only by ``apps.jobs.lifecycle.transition``, with the change it records.
    """

    class Kind(models.TextChoices):
        QUEUED = "queued"
        DISPATCHED = "dispatched"
        STARTED = "started"
        RESULT = "result"
        ERROR = "error", "Error reported by the worker"
        FAILED = "failed", "Failed by the frontend"
        CANCELLED = "cancelled"
        REQUEUED = "requeued"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20, choices=Kind.choices)
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
    calibration_s_per_asset_step = models.FloatField(
        null=True,
        blank=True,
        help_text="Seconds per asset and time step of the worker's calibration run (its speed); "
        "empty until it announced one",
    )
    contention = models.FloatField(
        null=True,
        blank=True,
        help_text="How much slower than on an idle machine a job would run on it now (its "
        "probes, announced in every heartbeat); empty until it announced one",
    )
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    objects = WorkerQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.worker_id


class QueuePolicy(models.Model):
    """How the dispatcher orders the queue when the cluster is full (R6); one row, set in admin."""

    class Strategy(models.TextChoices):
        FAIR_SHARE = "fair_share", "Fair share between users"
        FIFO = "fifo", "First in, first out"

    strategy = models.CharField(
        max_length=20, choices=Strategy.choices, default=Strategy.FAIR_SHARE
    )
    max_running_per_user = models.PositiveIntegerField(
        null=True, blank=True, help_text="Cap on a user's running jobs; empty for no cap"
    )
    usage_window_minutes = models.PositiveIntegerField(
        default=60, help_text="Fair share counts each user's job time over this window"
    )

    class Meta:
        verbose_name = "queue policy"
        verbose_name_plural = "queue policy"

    def __str__(self) -> str:
        return self.get_strategy_display()


class UserPriority(models.Model):
    """A user's priority class: jobs of a higher class start before any lower one."""

    class Level(models.IntegerChoices):
        LOW = -1, "Low"
        NORMAL = 0, "Normal"
        HIGH = 1, "High"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_priority"
    )
    level = models.IntegerField(choices=Level.choices, default=Level.NORMAL)

    class Meta:
        verbose_name_plural = "user priorities"

    def __str__(self) -> str:
        return f"{self.user}: {self.get_level_display()}"


class WorkflowSetting(models.Model):
    """An operator's override of what workers announce for a workflow."""

    workflow = models.CharField(max_length=100, unique=True)
    time_limit_s = models.PositiveIntegerField(
        null=True, blank=True, help_text="Time limit for new jobs; empty: the workflow's default"
    )
    no_worker_timeout_s = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Seconds a queued job waits for a live worker offering the workflow",
    )

    def __str__(self) -> str:
        return self.workflow


class JobRecord(models.Model):
    """What the toolkit knows of a job beyond its run (R18, R19, R24).

    Where each parameter's value came from (the model, the user, the workflow's default), the
    size the job was submitted with and the run time estimated for it (what the estimate
    learns from), and when its results were deleted: deleting results drops the job's data but
    keeps the job and its history. A table of its own, one row per job, written at submit.
    """

    job = models.OneToOneField(
        Job, on_delete=models.CASCADE, primary_key=True, related_name="record"
    )
    param_sources = models.JSONField(
        default=dict, help_text="Parameter key -> where its value came from"
    )
    asset_total = models.PositiveIntegerField(default=0)
    steps = models.PositiveIntegerField(default=1, help_text="Time steps of the job's period")
    estimate = models.JSONField(default=dict, help_text="The run time estimated at submit")
    run_contention = models.FloatField(
        null=True,
        blank=True,
        help_text="How much slower than on an idle machine the run went (its worker's probes "
        "while it ran); empty when not measured",
    )
    results_deleted_at = models.DateTimeField(null=True, blank=True)
    results_deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept when that account is deleted: the history says who, not "someone".
    results_deleted_by_name = models.CharField(max_length=254, blank=True)

    def __str__(self) -> str:
        return f"record of {self.job_id}"
