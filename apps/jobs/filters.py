"""The jobs list, filtered by project, model, workflow, state and owner (R24): one definition
for the jobs page and the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import QuerySet

from apps.jobs.models import Job

#: Query parameters the jobs list understands.
FILTERS = ("project", "model", "workflow", "status", "owner")


@dataclass(frozen=True)
class JobFilter:
    """The filters a request asked for; unknown or malformed values are ignored, not refused
    (a filter a link carried over from elsewhere must not break the list)."""

    values: dict[str, str]

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> JobFilter:
        """The filters of ``query``; one holding a NUL character is malformed (PostgreSQL takes
        no NUL in a text and raised an error for it)."""
        given = {key: query.get(key, "").strip() for key in FILTERS}
        return cls({key: value for key, value in given.items() if value and "\x00" not in value})

    def apply(self, jobs: QuerySet[Job], user) -> QuerySet[Job]:
        values = self.values
        if values.get("project", "").isdigit():
            jobs = jobs.filter(esdl_model__project_id=int(values["project"]))
        if values.get("model", "").isdigit():
            jobs = jobs.filter(esdl_model_id=int(values["model"]))
        if "workflow" in values:
            jobs = jobs.filter(workflow=values["workflow"])
        if values.get("status") in Job.Status.values:
            jobs = jobs.filter(status=values["status"])
        owner = values.get("owner", "")
        if owner == "me":
            jobs = jobs.filter(owner=user)
        elif owner.isdigit():
            jobs = jobs.filter(owner_id=int(owner))
        elif owner:
            jobs = jobs.filter(owner__email__iexact=owner)
        return jobs

    def query_string(self) -> str:
        """The filters as a query string, for the links to other pages of the list."""
        from urllib.parse import urlencode

        return urlencode(self.values)
