"""The dispatcher's two duties: start queued jobs into free slots, and keep every job moving.

PostgreSQL is the system of record: a job that was sent but whose worker vanished, whose message
was lost, or that a restored backup shows as running, is found here and queued again, up to
JOB_MAX_ATTEMPTS runs in all; a job past its time limit, or waiting for a workflow no live worker
offers, fails (R26). Every change of a job is a move of ``apps.jobs.lifecycle``.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from apps.jobs import lifecycle
from apps.jobs.models import Job, Worker
from apps.jobs.qos import current_policy
from apps.jobs.workflows import last_offered, no_worker_timeout_s, offered_workflows
from apps.operations.models import request_ids
from omotes import broker as omotes_broker
from omotes import logs
from omotes.protocol import JobRequest
from omotes.scheduling import QueuedJob, RunningJob

logger = logging.getLogger(__name__)


def free_slots_by_workflow() -> dict[str, int]:
    """Idle slots of live workers per workflow, less the jobs already sent and not yet started.

    A worker offering several workflows counts its idle slots for each of them, so a round may
    send it more jobs than it has slots; the extra ones wait in its queue until a slot frees.
    """
    running = Counter(
        Job.objects.filter(status=Job.Status.RUNNING).values_list("worker_id", flat=True)
    )
    free: Counter[str] = Counter()
    for worker in Worker.objects.alive():
        idle = max(0, worker.slots - running[worker.worker_id])
        for description in worker.workflows:
            free[description["name"]] += idle
    dispatched = Job.objects.filter(status=Job.Status.DISPATCHED).values_list("workflow", flat=True)
    for workflow in dispatched:
        free[workflow] -= 1
    return dict(free)


def dispatch_ready_jobs(broker=None) -> int:
    """Send as many queued jobs as there are free worker slots, in the order the policy picks.

    The message is published (with publisher confirms) before the status change commits: if this
    process dies in between, the job stays QUEUED and is sent again, so a job can be delivered
    twice but never lost; the events consumer keeps one run. Returns the number of jobs sent.
    """
    from designtoolkit.broker import get_broker

    free = free_slots_by_workflow()
    if not any(n > 0 for n in free.values()):
        return 0
    broker = broker or get_broker()
    policy = current_policy()
    with transaction.atomic():
        queued = list(
            Job.objects.filter(pk__in=candidate_ids(list(free), policy.per_user_candidates))
            .select_for_update(skip_locked=True)
            .defer("output_esdl")
            .order_by("created_at")
        )
        if not queued:
            return 0
        running = Job.objects.filter(
            status__in=[Job.Status.DISPATCHED, Job.Status.RUNNING]
        ).values_list("id", "workflow", "owner_id")
        chosen = policy.choose(
            [
                QueuedJob(str(j.id), j.workflow, str(j.owner_id), j.created_at, policy.priority(j))
                for j in queued
            ],
            [RunningJob(str(i), w, str(o)) for i, w, o in running],
            free,
        )
        by_id = {str(j.id): j for j in queued}
        origins = request_ids(by_id)
        for choice in chosen:
            job = by_id[choice.job_id]
            attempt = job.attempts + 1
            request_id = origins.get(choice.job_id, "")
            with logs.bound(job_id=job.id, request_id=request_id):
                omotes_broker.send(
                    broker,
                    omotes_broker.workflow_queue(job.workflow),
                    omotes_broker.job_actor_name(job.workflow),
                    JobRequest(
                        job_id=job.id,
                        workflow=job.workflow,
                        esdl=job.esdl,
                        params=job.params,
                        time_limit_s=job.time_limit_s,
                        attempt=attempt,
                        request_id=request_id,
                    ).to_dict(),
                )
                lifecycle.transition(job.pk, lifecycle.DISPATCH, detail=f"attempt {attempt}")
    return len(chosen)


def candidate_ids(workflows: list[str], per_user: int) -> list:
    """The oldest queued jobs of every user: a user with thousands queued hides no one else."""
    ranked = Job.objects.filter(status=Job.Status.QUEUED, workflow__in=workflows).annotate(
        rank=Window(RowNumber(), partition_by=F("owner_id"), order_by=F("created_at").asc())
    )
    return list(ranked.filter(rank__lte=per_user).values_list("id", flat=True))


def reconcile_jobs() -> int:
    """Find jobs that stopped moving and queue them again (or fail them); return how many."""
    now = timezone.now()
    handled = 0
    alive = set(Worker.objects.alive().values_list("worker_id", flat=True))
    for job in Job.objects.filter(status=Job.Status.RUNNING).exclude(worker_id__in=alive):
        handled += lifecycle.requeue_or_fail(
            job, f"The worker running this job ({job.worker_id}) stopped responding."
        )
    lost_before = now - timedelta(seconds=settings.JOB_DISPATCH_TIMEOUT_S)
    for job in Job.objects.filter(status=Job.Status.DISPATCHED, dispatched_at__lt=lost_before):
        handled += lifecycle.requeue_or_fail(job, "No worker started the job after it was sent.")
    grace = timedelta(seconds=settings.JOB_DEADLINE_GRACE_S)
    for job in Job.objects.filter(status=Job.Status.RUNNING, started_at__lt=now - grace):
        if job.started_at + timedelta(seconds=job.time_limit_s) + grace < now:
            reason = f"Time limit of {job.time_limit_s} s exceeded."
            handled += lifecycle.transition(
                job.pk, lifecycle.TIME_OUT, run_id=job.run_id, detail=reason, error=reason
            )
    handled += fail_jobs_no_worker_offers()
    return handled


def fail_jobs_no_worker_offers() -> int:
    """Fail the queued jobs whose workflow no live worker offered for the operator's time
    (``DT_JOB_NO_WORKER_TIMEOUT_S``, or the workflow's setting in admin), so that every job
    ends (R26). The time counts from the later of the job's submission and the last heartbeat
    of a worker that offered the workflow (a dead worker counts as offering it until its
    timeout, at most ``WORKER_TIMEOUT_S`` more). Returns how many jobs failed.
    """
    now = timezone.now()
    waiting = (
        Job.objects.filter(status=Job.Status.QUEUED)
        .exclude(workflow__in=list(offered_workflows()))
        .order_by()
        .values_list("workflow", flat=True)
        .distinct()
    )
    failed = 0
    for workflow in waiting:
        timeout_s = no_worker_timeout_s(workflow)
        cutoff = now - timedelta(seconds=timeout_s)
        seen = last_offered(workflow)
        if seen is not None and seen >= cutoff:
            continue
        reason = f"No worker offered workflow {workflow} for {_span(timeout_s)}."
        for job_id in Job.objects.filter(
            status=Job.Status.QUEUED, workflow=workflow, created_at__lt=cutoff
        ).values_list("pk", flat=True):
            failed += lifecycle.transition(job_id, lifecycle.NO_WORKER, detail=reason, error=reason)
    return failed


def _span(seconds: int) -> str:
    number, unit = (seconds, "second") if seconds % 60 else (seconds // 60, "minute")
    return f"{number} {unit}{'' if number == 1 else 's'}"


def requeue_after_restore() -> int:
    """After PostgreSQL was restored from a backup: queue every job that was on its way again.

    Their runs (if any still exist) belong to a past the database no longer knows; the workers
    are told to stop them, and their results are written again by the new run (InfluxDB keeps
    one value per series and time, so nothing is stored twice).
    """
    count = 0
    with transaction.atomic():
        for job_id in Job.objects.filter(
            status__in=[Job.Status.DISPATCHED, Job.Status.RUNNING]
        ).values_list("pk", flat=True):
            count += lifecycle.transition(
                job_id, lifecycle.REQUEUE_AFTER_RESTORE, detail="restored from backup"
            )
    return count
