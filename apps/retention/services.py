"""Applying the retention policy: find expired jobs and delete them with their results; and
forget workers gone for a month."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from apps.jobs.models import Job
from apps.jobs.services import delete_job
from apps.jobs.workflows import forget_gone_workers
from apps.retention.models import Deactivation, RetentionPolicy

logger = logging.getLogger(__name__)

#: Days a worker that stopped is remembered (the last to offer each workflow stays for good).
GONE_WORKERS_KEPT_DAYS = 30


@dataclass
class RetentionReport:
    deleted_jobs: list[str] = field(default_factory=list)
    failed_jobs: list[str] = field(default_factory=list)
    newly_deactivated: int = 0
    forgotten_workers: int = 0


def track_deactivations(now: datetime) -> int:
    """Record when deactivated users were first seen; forget users active again."""
    User = get_user_model()
    Deactivation.objects.filter(user__is_active=True).delete()
    new = User.objects.filter(is_active=False, deactivation__isnull=True)
    rows = [Deactivation(user=user, seen_at=now) for user in new]
    Deactivation.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def expired_jobs(policy: RetentionPolicy, now: datetime) -> QuerySet[Job]:
    """Finished jobs the policy removes (running and queued jobs are left to end first)."""
    expired = Job.objects.none()
    if policy.inactive_user_days is not None:
        cutoff = now - timedelta(days=policy.inactive_user_days)
        # The jobs of a project are its owner's, whoever submitted them (apps.sharing.access).
        expired = expired | Job.objects.filter(
            esdl_model__project__owner__is_active=False,
            esdl_model__project__owner__deactivation__seen_at__lte=cutoff,
        )
    if policy.max_job_age_days is not None:
        cutoff = now - timedelta(days=policy.max_job_age_days)
        expired = expired | Job.objects.filter(created_at__lt=cutoff)
    # A job whose results are gone keeps its history (R24): nothing is left to remove.
    expired = expired.exclude(record__results_deleted_at__isnull=False)
    return expired.filter(status__in=Job.TERMINAL).distinct()


def apply_retention(now: datetime | None = None, limit: int = 1000) -> RetentionReport:
    """Delete (at most ``limit``) expired jobs with their InfluxDB databases; one job at a time,
    so a failure leaves the others done and the failed one for the next run."""
    now = now or timezone.now()
    policy = RetentionPolicy.current()
    report = RetentionReport(
        newly_deactivated=track_deactivations(now),
        forgotten_workers=forget_gone_workers(now, GONE_WORKERS_KEPT_DAYS),
    )
    for job in expired_jobs(policy, now).defer("esdl", "output_esdl", "series")[:limit]:
        job_id = str(job.pk)  # delete() sets pk to None
        try:
            delete_job(job)
        except Exception:  # noqa: BLE001 - InfluxDB or broker down: try again next run
            logger.exception("retention could not delete a job", extra={"job_id": job_id})
            report.failed_jobs.append(job_id)
        else:
            report.deleted_jobs.append(job_id)
    if report.deleted_jobs or report.failed_jobs:
        logger.info(
            "retention applied",
            extra={"deleted": len(report.deleted_jobs), "failed": len(report.failed_jobs)},
        )
    return report
