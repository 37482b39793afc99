"""What the home page shows a logged-in designer: work in progress, work just done, and what
others shared (R13). Everything comes through ``visible_to``, so the dashboard can show no more
than the lists behind it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from apps.jobs.models import Job
from apps.models.models import EsdlModel, Project
from apps.sharing.access import visible_to

#: Rows per panel: the dashboard points at the lists, it does not replace them.
SHOWN = 10
#: Active jobs shown (and followed live, one websocket each).
ACTIVE_SHOWN = 20

#: What a job row needs, without the large columns (ESDL, series, logs).
_LARGE = ("esdl", "output_esdl", "log_tail", "series", "messages")


@dataclass(frozen=True)
class SharedWithMe:
    """Objects others own and shared with the user or a team of theirs, at the top level the
    grant was given: a shared project, not also each of its models."""

    projects: list[Project]
    models: list[EsdlModel]
    jobs: list[Job]

    def __bool__(self) -> bool:
        return bool(self.projects or self.models or self.jobs)


def _jobs(user) -> QuerySet[Job]:
    return visible_to(user, Job).select_related("esdl_model__project", "owner").defer(*_LARGE)


def active_jobs(user) -> list[Job]:
    """Queued, dispatched and running jobs the user may see, oldest first (the order they
    will finish in, roughly)."""
    return list(_jobs(user).active().order_by("created_at")[:ACTIVE_SHOWN])


def recent_results(user) -> list[Job]:
    """The jobs that ended last."""
    ended = _jobs(user).filter(status__in=Job.TERMINAL, finished_at__isnull=False)
    return list(ended.order_by("-finished_at")[:SHOWN])


def shared_with_me(user) -> SharedWithMe:
    projects = visible_to(user, Project).exclude(owner=user)
    models = (
        visible_to(user, EsdlModel)
        .exclude(project__owner=user)
        .exclude(project__in=projects)
        .select_related("project__owner")
        .defer("esdl")
    )
    jobs = (
        _jobs(user)
        .exclude(esdl_model__project__owner=user)
        .exclude(esdl_model__in=models)
        .exclude(esdl_model__project__in=projects)
    )
    return SharedWithMe(
        projects=list(projects.select_related("owner")[:SHOWN]),
        models=list(models[:SHOWN]),
        jobs=list(jobs[:SHOWN]),
    )
