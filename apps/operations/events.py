"""What the events consumer adds to each worker event: the ids on its log lines, and the lag
and count metrics (the event's own checks are apps.jobs.events')."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.utils import timezone
from prometheus_client import Counter

from apps.operations.metrics import EVENTS_LAG
from apps.operations.models import JobOrigin

EVENTS = Counter("dtk_events", "Worker events applied, by kind", ["kind"])


def event_log_context(data: Any) -> dict[str, Any]:
    """The ids of a (possibly malformed) event: its job, worker, run and the job's request."""
    if not isinstance(data, dict):
        return {}
    payload = data.get("payload") if isinstance(data.get("payload"), dict) else {}
    context = {
        "job_id": data.get("job_id"),
        "worker_id": data.get("worker_id"),
        "run_id": payload.get("run_id"),
    }
    if isinstance(context["job_id"], str):
        origin = JobOrigin.objects.filter(job_id=_uuid_or_none(context["job_id"])).first()
        context["request_id"] = origin.request_id if origin else None
    return {key: value for key, value in context.items() if isinstance(value, str) and value}


def observe_event(data: Any) -> None:
    """Count the event and set the lag: how long ago its worker sent it."""
    if not isinstance(data, dict):
        return
    EVENTS.labels(kind=str(data.get("kind", "unknown"))[:30]).inc()
    try:
        sent_at = datetime.fromisoformat(str(data.get("sent_at")))
    except ValueError:
        return
    if sent_at.tzinfo is not None:
        EVENTS_LAG.set(max(0.0, (timezone.now() - sent_at).total_seconds()))


def _uuid_or_none(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
