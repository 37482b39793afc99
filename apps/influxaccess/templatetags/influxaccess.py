"""``{% influx_access %}``: the InfluxDB credentials panel, for any page (the account page).

It gathers its own context, so a page that includes it needs to provide nothing but the request.
"""

from __future__ import annotations

from django import template
from django.conf import settings

from apps.influxaccess.models import InfluxCredential
from apps.jobs.models import Job
from apps.sharing.access import visible_to
from omotes.influx import quote_identifier, quote_string

register = template.Library()

#: Databases listed on the page; the rest are counted.
LISTED_DATABASES = 20


@register.inclusion_tag("influxaccess/panel.html", takes_context=True)
def influx_access(context) -> dict:
    request = context["request"]
    user = request.user
    credential = InfluxCredential.objects.filter(user=user).first()
    jobs = (
        visible_to(user, Job)
        .select_related("esdl_model")
        .only("id", "workflow", "created_at", "status", "series", "esdl_model__name")
    )
    listed = list(jobs[:LISTED_DATABASES])
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "credential": credential,
        "new_username": context.get("influx_new_username"),
        "new_password": context.get("influx_new_password"),
        "public_url": settings.INFLUX_PUBLIC_URL.rstrip("/"),
        "jobs": listed,
        "more_jobs": max(jobs.count() - len(listed), 0),
        "example": _example_query(listed),
    }


def _example_query(jobs: list[Job]) -> dict:
    """A database and a SELECT that returns data, from the newest job with output series.

    ``db_arg`` and ``q_arg`` are ready for a POSIX shell (double-quoted, escaped).
    """
    database, query = (jobs[0].database if jobs else "job_<id>"), "SHOW MEASUREMENTS"
    for job in jobs:
        found = next(
            (
                s
                for s in job.series
                if s.get("measurement") and s.get("field") and s.get("asset_id")
            ),
            None,
        )
        if found:
            database = job.database
            query = (
                f"SELECT {quote_identifier(found['field'])} "
                f"FROM {quote_identifier(found['measurement'])} "
                f'WHERE "asset_id" = {quote_string(found["asset_id"])} LIMIT 24'
            )
            break
    return {
        "database": database,
        "query": query,
        "db_arg": _shell_quoted(f"db={database}"),
        "q_arg": _shell_quoted(f"q={query}"),
    }


def _selectable(series: dict) -> bool:
    return bool(series.get("measurement") and series.get("field") and series.get("asset_id"))


def _shell_quoted(text: str) -> str:
    escaped = "".join("\\" + c if c in '\\"$`' else c for c in text)
    return f'"{escaped}"'
