"""Dynamic key figures: fetching sources, checking what they answer, and the values in force.

A fetch asks the source's URL with a timeout, retrying with exponential backoff; the answer must
parse (JSON or CSV), hold a number where the source's selector points, and that number must pass
the same unit and range checks as a loaded figure (:func:`apps.keyfigures.figures.check_value`).
A good value is kept with its time; a failure keeps the last good value and records why. A value
is in force while younger than the source's ``max_age_s``; a stale source falls back to the
static figure of the job's version, and the health check reports it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import os
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import requests
from django.db.models import F
from django.utils import timezone

from apps.keyfigures.figures import check_value
from apps.keyfigures.models import DynamicSource

logger = logging.getLogger(__name__)

ATTEMPTS = 3
BACKOFF_S = 1.0  # waits 1 s, then 2 s, between attempts
MAX_BYTES = 1024 * 1024


class SourceError(Exception):
    """The source did not answer, or answered nonsense (the message says which)."""


def _headers(source: DynamicSource) -> dict[str, str]:
    if not source.auth_header:
        return {}
    value = os.environ.get(source.auth_env, "")
    if not value:
        raise SourceError(f"The environment variable {source.auth_env} is not set.")
    return {source.auth_header: value}


def _get(source: DynamicSource) -> str:
    try:
        with requests.get(
            source.url, headers=_headers(source), timeout=source.timeout_s, stream=True
        ) as response:
            if response.status_code != 200:
                raise SourceError(f"HTTP {response.status_code}")
            body = response.raw.read(MAX_BYTES + 1, decode_content=True)
    except requests.Timeout as exc:
        raise SourceError(f"no answer within {source.timeout_s:g} s") from exc
    except requests.RequestException as exc:
        raise SourceError(f"unreachable ({type(exc).__name__})") from exc
    if len(body) > MAX_BYTES:
        raise SourceError(f"answer larger than {MAX_BYTES // 1024} KiB")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError("answer is not UTF-8 text") from exc


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise SourceError(f"not a number: {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise SourceError(f"not a number: {str(value)[:50]!r}") from exc
    if not math.isfinite(number):
        raise SourceError("not a finite number")
    return number


def extract(source: DynamicSource, text: str) -> float:
    """The number the selector points at in an answer; SourceError when it is not there."""
    if source.format == DynamicSource.Format.JSON:
        try:
            data: Any = json.loads(text)
        except ValueError as exc:
            raise SourceError("answer is not JSON") from exc
        for part in source.selector.split("."):
            if (
                isinstance(data, list)
                and part.lstrip("-").isdigit()
                and -len(data) <= int(part) < len(data)
            ):
                data = data[int(part)]
            elif isinstance(data, dict) and part in data:
                data = data[part]
            else:
                raise SourceError(f"no {source.selector!r} in the answer")
        return _number(data)
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or source.selector not in rows[-1]:
        raise SourceError(f"no column {source.selector!r} in the CSV answer")
    return _number(rows[-1][source.selector])


def fetch_value(source: DynamicSource, sleep: Callable[[float], None] = time.sleep) -> float:
    """The source's current value, checked; retries what may pass (no answer, HTTP errors),
    not what will not (a nonsense answer is refused at once)."""
    last: SourceError | None = None
    for attempt in range(ATTEMPTS):
        if attempt:
            sleep(BACKOFF_S * 2 ** (attempt - 1))
        try:
            text = _get(source)
        except SourceError as exc:
            last = exc
            continue
        value = extract(source, text)
        problems = check_value(source.key, value, source.unit)
        if problems:
            raise SourceError("; ".join(problems))
        return value
    raise SourceError(f"{last} (after {ATTEMPTS} attempts)")


def refresh(source: DynamicSource, sleep: Callable[[float], None] = time.sleep) -> bool:
    """Fetch one source and record the outcome; True when a good value came."""
    now = timezone.now()
    try:
        value = fetch_value(source, sleep)
    except SourceError as exc:
        logger.warning("key-figure source %s: %s", source.name, exc)
        DynamicSource.objects.filter(pk=source.pk).update(
            last_attempt_at=now, last_error=str(exc)[:1000], failures=F("failures") + 1
        )
        return False
    DynamicSource.objects.filter(pk=source.pk).update(
        last_attempt_at=now, last_value=value, last_good_at=now, last_error="", failures=0
    )
    return True


def due_sources() -> list[DynamicSource]:
    """Enabled sources never tried, or whose refresh interval has passed since the last try."""
    now = timezone.now()
    return [
        s
        for s in DynamicSource.objects.filter(enabled=True)
        if s.last_attempt_at is None or s.last_attempt_at + timedelta(seconds=s.refresh_s) <= now
    ]


def is_fresh(source: DynamicSource, now=None) -> bool:
    now = now or timezone.now()
    return (
        source.last_value is not None
        and source.last_good_at is not None
        and now - source.last_good_at <= timedelta(seconds=source.max_age_s)
    )


def values_in_force() -> list[dict[str, Any]]:
    """The fresh dynamic values (one per key: the newest), as a job records them."""
    now = timezone.now()
    chosen: dict[str, DynamicSource] = {}
    for source in DynamicSource.objects.filter(enabled=True, last_value__isnull=False):
        if is_fresh(source, now) and (
            source.key not in chosen or source.last_good_at > chosen[source.key].last_good_at
        ):
            chosen[source.key] = source
    return [
        {
            "key": s.key,
            "value": s.last_value,
            "unit": s.unit,
            "source": s.name,
            "fetched_at": s.last_good_at.isoformat(),
        }
        for s in chosen.values()
    ]


def stale_sources() -> list[DynamicSource]:
    return [s for s in DynamicSource.objects.filter(enabled=True) if not is_fresh(s)]
