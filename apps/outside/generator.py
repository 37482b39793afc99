"""A heat-profile generator service (``DT_PROFILE_GENERATOR_URL``, on the operator's list like
every outside server) asked for the demand profile that stands in when an ESDL's own cannot be
fetched; without one, or when it fails, the built-in BDEW profile stands in as before.

The request: ``GET <generator>?type=EFH&yearly_demand_wh=...&start=...&end=...`` (ISO 8601 UTC,
both inclusive, hourly); the answer: ``{"points": [[epoch seconds, W], ...]}``, one per hour from
start to end. The yearly demand is that of the BDEW profile with the asset's peak power over the
calendar year of the start (the ESDL states a peak, not a yearly demand), so a generator and the
built-in method describe the same building.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings

from apps.outside.fetch import Limits, OutsideRefused, get, server_of_url
from apps.outside.influx_profiles import checksum
from apps.profiles.standard import bdew_heat_profile


@dataclass(frozen=True)
class Generated:
    points: list[tuple[datetime, float]]
    source: str
    checksum: str


def yearly_demand_wh(peak_w: float, year: int, building_type: str = "EFH") -> float:
    """The heat demand over ``year`` (Wh) of the BDEW profile whose peak is ``peak_w``."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year, 12, 31, 23, tzinfo=UTC)
    return sum(value for _, value in bdew_heat_profile(start, end, peak_w, building_type))


def generate_profile(
    building_type: str,
    demand_wh: float,
    start: datetime,
    end: datetime,
    max_points: int,
    limits: Limits,
) -> Generated:
    """An hourly demand profile in W from the configured generator: OutsideRefused when none
    is configured or its answer is not one point per hour from ``start`` to ``end`` (at most
    ``max_points``, finite, not negative); OutsideUnreachable from :func:`get`."""
    if not settings.PROFILE_GENERATOR_URL:
        raise OutsideRefused("no heat-profile generator is configured (DT_PROFILE_GENERATOR_URL)")
    hours = int((end - start) // timedelta(hours=1)) + 1
    if hours > max_points:
        raise OutsideRefused(f"{hours:,} hours: more than {max_points:,} (DT_PROFILE_MAX_POINTS)")
    server, path = server_of_url(settings.PROFILE_GENERATOR_URL)
    params = {
        "type": building_type,
        "yearly_demand_wh": f"{demand_wh:.0f}",
        "start": start.astimezone(UTC).isoformat(),
        "end": end.astimezone(UTC).isoformat(),
    }
    body = get(server, path or "/", params, limits)
    try:
        rows = json.loads(body)["points"]
        points = [
            (datetime.fromtimestamp(int(t), tz=UTC), float(v)) for t, v in rows[: max_points + 1]
        ]
    except (ValueError, KeyError, TypeError, OverflowError, OSError) as exc:
        raise OutsideRefused(f"{server.url} did not answer with a profile") from exc
    expected = [start.astimezone(UTC) + timedelta(hours=h) for h in range(hours)]
    if len(rows) != hours or [moment for moment, _ in points] != expected:
        raise OutsideRefused(
            f"{server.url} did not answer one point per hour from {start:%Y-%m-%d %H:%M} to "
            f"{end:%Y-%m-%d %H:%M} UTC"
        )
    if not all(math.isfinite(v) and v >= 0 for _, v in points):
        raise OutsideRefused(f"{server.url} answered values that are not demands in W")
    return Generated(points, f"{server.name} ({server.url}{path})", checksum(points))
