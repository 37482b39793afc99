"""Health check: dynamic key-figure sources whose value is stale (jobs fall back to the static
figure, which the operator should know)."""

from __future__ import annotations

import dataclasses

from health_check.base import HealthCheck
from health_check.exceptions import ServiceWarning


def _describe(source) -> str:
    if source.last_good_at is None:
        age = "never fetched"
    else:
        age = f"last good value at {source.last_good_at:%Y-%m-%d %H:%M} UTC"
    error = f", {source.last_error[:100]}" if source.last_error else ""
    return f"{source.name} ({age}{error})"


@dataclasses.dataclass
class KeyFigureSources(HealthCheck):
    def run(self) -> None:
        from apps.keyfigures.dynamic import stale_sources

        stale = stale_sources()
        if stale:
            described = "; ".join(_describe(s) for s in stale)
            raise ServiceWarning(f"Stale key-figure sources, static figures used: {described}")
