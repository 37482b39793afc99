"""Telling submitters that their jobs ended, one notice per batch (R28).

A *batch* is the jobs one user submitted with less than ``NOTIFY_BATCH_WINDOW_S`` between one
submission and the next: a script that starts 100 jobs makes one batch. A batch is told of once
none of its jobs is still active and the window after its last submission has passed (so no
later job can still join it): one bell line and, for the jobs whose submitter chose e-mail, one
mail. A batch of one job is told of as that job: outcome, duration, main KPIs, link.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone

from apps.jobs.models import Job
from apps.notifications.models import JobEmailChoice, JobEnd, Notification
from apps.notifications.services import absolute_url, notify, preference_of, queue_mail

#: How far before its earliest ended job a batch is looked for (a batch longer than this is
#: told of in parts).
LOOKBACK = timedelta(days=2)
#: KPIs listed in a job's mail; the job page has them all.
MAIN_KPIS = 8


def tell_ended_jobs(now: datetime | None = None) -> int:
    """Tell every submitter of the batches that are complete; returns how many batches."""
    now = now or timezone.now()
    JobEnd.objects.filter(job__owner__isnull=True).delete()  # the submitter's account is gone
    told = 0
    for user_id in set(JobEnd.objects.values_list("job__owner_id", flat=True)):
        told += _tell_submitter(user_id, now)
    return told


def split_batches(jobs: list[Job], window: timedelta) -> Iterable[list[Job]]:
    """Jobs in order of submission, cut wherever two submissions are ``window`` or more apart."""
    batch: list[Job] = []
    for job in jobs:
        if batch and job.created_at - batch[-1].created_at >= window:
            yield batch
            batch = []
        batch.append(job)
    if batch:
        yield batch


def _tell_submitter(user_id: int, now: datetime) -> int:
    window = timedelta(seconds=settings.NOTIFY_BATCH_WINDOW_S)
    with transaction.atomic():
        ends = set(
            JobEnd.objects.select_for_update(skip_locked=True)
            .filter(job__owner_id=user_id)
            .values_list("job_id", flat=True)
        )
        if not ends:
            return 0
        earliest = Job.objects.filter(pk__in=ends).aggregate(at=Min("created_at"))["at"]
        jobs = list(
            Job.objects.filter(owner_id=user_id, created_at__gte=earliest - LOOKBACK)
            .order_by("created_at", "pk")
            .only("id", "created_at", "status")
        )
        user = get_user_model().objects.get(pk=user_id)
        told = 0
        for batch in split_batches(jobs, window):
            ended = [job.pk for job in batch if job.pk in ends]
            if not ended:
                continue
            if any(job.is_active for job in batch) or batch[-1].created_at + window > now:
                continue  # still running, or still open to more submissions
            tell_batch(user, ended)
            JobEnd.objects.filter(pk__in=ended).delete()
            told += 1
        return told


def tell_batch(user, job_ids: list) -> None:
    """One bell line and (for the jobs with e-mail chosen) one mail for jobs that ended."""
    jobs = list(
        Job.objects.filter(pk__in=job_ids)
        .select_related("esdl_model__project")
        .defer("esdl", "output_esdl", "log_tail")
        .order_by("created_at", "pk")
    )
    if not jobs:
        return
    default = preference_of(user).email_on_job_end
    chosen = dict(JobEmailChoice.objects.filter(job_id__in=job_ids).values_list("job_id", "email"))
    emailed = [job for job in jobs if chosen.get(job.pk, default)]
    if len(jobs) == 1:
        job = jobs[0]
        notify(user, Notification.Kind.JOB, f"{title(job)} {job.status}.", job.get_absolute_url())
    else:
        notify(
            user,
            Notification.Kind.JOB,
            f"{len(jobs)} jobs you started have ended: {tally(jobs)}.",
            reverse("jobs:list"),
        )
    if len(emailed) == 1:
        queue_mail(user.email, *job_mail(emailed[0]))
    elif emailed:
        queue_mail(user.email, *digest_mail(emailed))


def title(job: Job) -> str:
    return f"Job {job.workflow} on {job.esdl_model.name}"


def tally(jobs: list[Job]) -> str:
    counts = Counter(job.status for job in jobs)
    return ", ".join(f"{counts[s]} {s}" for s in Job.TERMINAL if counts[s])


def duration_text(job: Job) -> str:
    """How long the job ran (from its start), or that it never started."""
    if job.duration is None:
        return "did not start"
    seconds = int(job.duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02} (h:mm:ss)"


def kpi_lines(job: Job) -> list[str]:
    lines = []
    for kpi in job.kpis[:MAIN_KPIS]:
        value = kpi.get("value")
        shown = f"{value:,.2f}" if isinstance(value, int | float) else str(value)
        lines.append(f"  {kpi.get('name', '?')}: {shown} {kpi.get('unit', '')}".rstrip())
    if len(job.kpis) > MAIN_KPIS:
        lines.append(f"  … and {len(job.kpis) - MAIN_KPIS} more on the job page")
    return lines


def job_mail(job: Job) -> tuple[str, str]:
    """Subject and body of the mail about one job that ended."""
    subject = f"[Design Toolkit] {title(job)} {job.status}"
    lines = [
        f"{title(job)} (project {job.esdl_model.project.name}) has ended.",
        "",
        f"Outcome:  {job.status}",
        f"Duration: {duration_text(job)}",
    ]
    if job.finished_at:
        lines.append(f"Ended:    {job.finished_at:%Y-%m-%d %H:%M:%S} UTC")
    if job.kpis:
        lines += ["", "Key performance indicators:", *kpi_lines(job)]
    if job.error and job.status != Job.Status.SUCCEEDED:
        lines += ["", "Error:", f"  {job.error[:1000]}"]
    lines += ["", f"Open the job: {absolute_url(job.get_absolute_url())}", *_footer()]
    return subject, "\n".join(lines)


def digest_mail(jobs: list[Job]) -> tuple[str, str]:
    """Subject and body of the one mail about a batch of jobs that ended."""
    subject = f"[Design Toolkit] {len(jobs)} jobs ended: {tally(jobs)}"
    lines = [f"The {len(jobs)} jobs you started together have all ended: {tally(jobs)}.", ""]
    for job in jobs:
        lines.append(f"- {title(job)}: {job.status}, {duration_text(job)}")
        lines += [f"  {line}" for line in kpi_lines(job)[:3]]
        if job.error and job.status != Job.Status.SUCCEEDED:
            lines.append(f"  Error: {job.error[:200]}")
        lines.append(f"  {absolute_url(job.get_absolute_url())}")
    lines += ["", f"All your jobs: {absolute_url(reverse('jobs:list'))}", *_footer()]
    return subject, "\n".join(lines)


def _footer() -> list[str]:
    return [
        "",
        "--",
        "You get this because you chose e-mail for these jobs. Change the default on your "
        f"account page: {absolute_url(reverse('accounts:account'))}",
    ]
