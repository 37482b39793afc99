"""The workflows users can pick: exactly those some live worker announced (R29)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Max
from django.utils.dateparse import parse_datetime

from apps.jobs.models import Worker, WorkflowSetting
from apps.profiles.limits import ProfileLimits
from omotes.protocol import ParameterSpec, ParameterType, WorkflowDescription


@dataclass
class OfferedWorkflow:
    description: WorkflowDescription
    workers: int
    slots: int

    @property
    def name(self) -> str:
        return self.description.name


def offered_workflows() -> dict[str, OfferedWorkflow]:
    """Workflows of live workers by name; the newest announced version describes each."""
    offered: dict[str, OfferedWorkflow] = {}
    for worker in Worker.objects.alive().order_by("last_seen"):
        for data in worker.workflows:
            description = WorkflowDescription.from_dict(data)
            entry = offered.get(description.name)
            if entry is None:
                offered[description.name] = OfferedWorkflow(description, 1, worker.slots)
            else:
                entry.description = description
                entry.workers += 1
                entry.slots += worker.slots
    return offered


def known_workflows() -> list[tuple[WorkflowDescription, OfferedWorkflow | None]]:
    """Every workflow a worker ever announced, with what live workers offer of it now; None
    when its last worker left (it shows as unavailable, and its queued jobs wait)."""
    offered = offered_workflows()
    known = {name: entry.description for name, entry in offered.items()}
    for worker in Worker.objects.order_by("-last_seen"):
        for data in worker.workflows:
            if data["name"] not in known:
                known[data["name"]] = WorkflowDescription.from_dict(data)
    return [(known[name], offered.get(name)) for name in sorted(known)]


def time_limit_for(description: WorkflowDescription) -> int:
    """The operator's time limit for the workflow if set (admin), else the workflow's default."""
    override = (
        WorkflowSetting.objects.filter(workflow=description.name, time_limit_s__isnull=False)
        .values_list("time_limit_s", flat=True)
        .first()
    )
    return override or description.default_time_limit_s


def last_offered(workflow: str) -> datetime | None:
    """When a worker that offers the workflow was last heard of; None if none ever did."""
    workers = Worker.objects.filter(workflows__contains=[{"name": workflow}])
    return workers.aggregate(last=Max("last_seen"))["last"]


def forget_gone_workers(now: datetime, kept_days: int) -> int:
    """Delete the workers not heard of for ``kept_days``, except the last to announce each
    workflow (so :func:`known_workflows` and :func:`last_offered` answer as before); returns
    how many. A worker's id is new at every start, so without this every restart of every
    worker stayed a row for good, and the model page and the estimates read them all."""
    cutoff = now - timedelta(days=kept_days)
    newest: dict[str, tuple[datetime, str]] = {}
    for worker_id, last_seen, workflows in Worker.objects.values_list(
        "worker_id", "last_seen", "workflows"
    ):
        for name in {data["name"] for data in workflows}:
            if name not in newest or newest[name] < (last_seen, worker_id):
                newest[name] = (last_seen, worker_id)
    kept = {worker_id for _, worker_id in newest.values()}
    gone = Worker.objects.filter(last_seen__lt=cutoff).exclude(worker_id__in=kept)
    return gone.delete()[0]


def no_worker_timeout_s(workflow: str) -> int:
    """How long a queued job of the workflow waits for a live worker to offer it (R26): the
    operator's setting for the workflow (admin) if set, else ``DT_JOB_NO_WORKER_TIMEOUT_S``."""
    override = (
        WorkflowSetting.objects.filter(workflow=workflow, no_worker_timeout_s__isnull=False)
        .values_list("no_worker_timeout_s", flat=True)
        .first()
    )
    return settings.JOB_NO_WORKER_TIMEOUT_S if override is None else override


def clean_params(
    description: WorkflowDescription,
    raw: dict[str, Any],
    profile_period: dict[str, str] | None = None,
    derived: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Check the user's parameters against the workflow's schema; fill in the rest.

    A parameter the user left empty takes its value in ``derived`` (what the model implies,
    :mod:`apps.jobs.defaults`), else the workflow's default. Raises ValidationError keyed by
    parameter (messages not about one parameter under ``NON_FIELD_ERRORS``): each bad
    parameter, an end before the start, a period (start to end, in steps) past the bounds on
    what one job may write (:mod:`apps.profiles.limits`), and a start or end outside
    ``profile_period`` (the model's input profiles, ISO text): there the workflow would have no
    input data. Checked here, at submit, so that a job never waits in the queue only to fail on
    its parameters. A date and time without a time zone is UTC, as the form says. Returns
    JSON-serialisable values (datetimes as ISO text), in the form the worker receives them.
    """
    if not isinstance(raw, dict):
        raise ValidationError("params must be an object")
    known = {spec.key: spec for spec in description.parameters}
    unknown = sorted(set(raw) - set(known))
    errors: dict[str, list[str]] = {}
    if unknown:
        errors[NON_FIELD_ERRORS] = [f"Unknown parameter {key!r}." for key in unknown]
    cleaned: dict[str, Any] = {}
    for key, spec in known.items():
        value = raw.get(key)
        if value in (None, ""):
            cleaned[key] = derived[key] if derived and key in derived else spec.default
            continue
        try:
            cleaned[key] = _convert(spec, value)
        except (TypeError, ValueError) as exc:
            errors[key] = [f"{spec.title}: {exc}"]
    if not errors:
        titles = {spec.key: spec.title for spec in description.parameters}
        problems = ProfileLimits.from_settings().job_problems(titles, cleaned)
        if problems:
            errors[_period_key(known)] = problems
    if not errors and profile_period:
        errors = _outside_profiles(description, cleaned, profile_period)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _period_key(known: Mapping[str, ParameterSpec]) -> str:
    """Where a problem of the whole period shows: next to its end, else not at a field."""
    return "end" if "end" in known else NON_FIELD_ERRORS


def _outside_profiles(
    description: WorkflowDescription, cleaned: dict[str, Any], profile_period: dict[str, str]
) -> dict[str, list[str]]:
    """A start or end (by the workflows' convention) outside the input profiles' period."""
    if not (profile_period.get("start") and profile_period.get("end")):
        return {}  # a model without input profiles: the workflow's own defaults decide
    first = datetime.fromisoformat(profile_period["start"])
    last = datetime.fromisoformat(profile_period["end"])
    shown = f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC"
    problems = {}
    for spec in description.parameters:
        value = cleaned.get(spec.key) if spec.key in ("start", "end") else None
        if isinstance(value, str) and not first <= datetime.fromisoformat(value) <= last:
            problems[spec.key] = [
                f"{spec.title}: {value} is outside the model's input profiles ({shown}); "
                "there would be no demand data to simulate."
            ]
    return problems


def _convert(spec: ParameterSpec, value: Any) -> Any:
    if spec.type in (ParameterType.INT, ParameterType.FLOAT, ParameterType.DURATION):
        if isinstance(value, bool):
            raise ValueError("must be a number")
        try:
            number = float(value)
        except OverflowError:
            raise ValueError("is far too large a number") from None
        if not math.isfinite(number):
            raise ValueError("must be a finite number")
        if spec.type == ParameterType.INT and number != int(number):
            raise ValueError("must be a whole number")
        if spec.minimum is not None and number < spec.minimum:
            raise ValueError(f"must be at least {spec.minimum:g}")
        if spec.maximum is not None and number > spec.maximum:
            raise ValueError(f"must be at most {spec.maximum:g}")
        return number if spec.type == ParameterType.FLOAT else int(number)
    if spec.type == ParameterType.BOOL:
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "1", "yes", "on"):
            return True
        if str(value).lower() in ("false", "0", "no", "off"):
            return False
        raise ValueError("must be true or false")
    if spec.type == ParameterType.DATETIME:
        try:
            parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
        except ValueError as exc:
            raise ValueError(f"must be a date and time (ISO 8601): {exc}") from None
        if parsed is None:
            raise ValueError("must be a date and time (ISO 8601)")
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC).isoformat()  # one form: the job page shows UTC
    text = str(value)
    if spec.options and text not in spec.options:
        raise ValueError(f"must be one of {', '.join(spec.options)}")
    return text
