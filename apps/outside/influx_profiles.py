"""Reading one input profile from an outside InfluxDB (1.x HTTP ``/query``) as the simulator
would, and checking it as the simulator does, before it is copied into our profile store.

The simulator (``omotes_simulator_core.entities.utility.influxdb_reader``) selects
``field`` from ``measurement`` between the ESDL's start and end, requires the first and last
points to be exactly at those dates, and converts each value from the profile's unit to W times
the multiplier. The copy is stored in W (the job's ESDL then says W, multiplier 1), so the
conversion happens here: :func:`to_watt_factors`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from esdl import esdl
from esdl.units.conversion import POWER_IN_W, UnitException, convert_to_unit

from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_profiles import ProfileReference
from apps.outside.fetch import Limits, OutsideRefused, OutsideServer, get
from omotes.influx import quote_identifier


@dataclass(frozen=True)
class Series:
    """Points in W, UTC, in time order, and their checksum."""

    points: list[tuple[datetime, float]]
    checksum: str


def to_watt_factors(document: EsdlDocument) -> dict[str, float | str]:
    """Per InfluxDB profile id: the factor from its stored values to W, or why the profile is
    not copied (not a power profile, no unit, tag filters: a series mixing several tags' points
    would not be the one the simulator reads)."""
    factors: dict[str, float | str] = {}
    for obj in document.energy_system.eAllContents():
        if not isinstance(obj, esdl.InfluxDBProfile):
            continue
        unit = obj.profileQuantityAndUnit
        while isinstance(unit, esdl.QuantityAndUnitReference):
            unit = unit.reference
        multiplier = float(obj.multiplier if obj.multiplier is not None else 1.0)
        if (obj.filters or "").strip():
            factors[obj.id] = f"its tag filters ({obj.filters[:100]}) are not supported"
        elif unit is None:
            factors[obj.id] = "the profile states no unit"
        elif unit.physicalQuantity != esdl.PhysicalQuantityEnum.POWER:
            factors[obj.id] = (
                f"only power profiles can be copied, this one is {unit.physicalQuantity}"
            )
        else:
            try:
                factors[obj.id] = convert_to_unit(1.0, unit, POWER_IN_W) * multiplier
            except (UnitException, ValueError, KeyError) as exc:
                factors[obj.id] = f"its unit cannot be converted to W: {exc}"
    return factors


def read_series(
    server: OutsideServer, reference: ProfileReference, max_points: int, limits: Limits
) -> list[tuple[datetime, float]]:
    """The reference's series from ``server``, in its own unit: OutsideRefused when the answer
    is not a series, has more than ``max_points`` points, or does not run exactly over the
    ESDL's period (the simulator would refuse it); OutsideUnreachable from :func:`get`."""
    start, end = _utc(reference.start), _utc(reference.end)
    query = (
        f"SELECT {quote_identifier(reference.field)} FROM {quote_identifier(reference.measurement)}"
        f" WHERE time >= '{start:%Y-%m-%dT%H:%M:%SZ}' AND time <= '{end:%Y-%m-%dT%H:%M:%SZ}'"
        f" LIMIT {max_points + 1}"
    )
    body = get(server, "/query", {"db": reference.database, "q": query, "epoch": "s"}, limits)
    rows = _rows(body, server)
    what = f"{reference.measurement} / {reference.field} in database {reference.database}"
    if not rows:
        raise OutsideRefused(
            f"{server.url} has no points of {what} from {start:%Y-%m-%d %H:%M} to "
            f"{end:%Y-%m-%d %H:%M} UTC"
        )
    if len(rows) > max_points:
        raise OutsideRefused(
            f"{what}: more than {max_points:,} points: a profile may have at most that many "
            "(DT_PROFILE_MAX_POINTS)"
        )
    points: list[tuple[datetime, float]] = []
    for row in rows:
        moment, value = _point(row, server)
        if value is None:
            continue
        if points and moment <= points[-1][0]:
            raise OutsideRefused(f"{server.url}: the points of {what} are not in time order")
        points.append((moment, value))
    if len(points) < 2:
        raise OutsideRefused(f"{server.url} has fewer than two values of {what} in the period")
    if points[0][0] != start or points[-1][0] != end:
        first, last = points[0][0], points[-1][0]
        raise OutsideRefused(
            f"wrong period: {server.url} has {what} from {first:%Y-%m-%d %H:%M} to "
            f"{last:%Y-%m-%d %H:%M} UTC, the ESDL names {start:%Y-%m-%d %H:%M} to "
            f"{end:%Y-%m-%d %H:%M} UTC"
        )
    return points


def in_watt(points: list[tuple[datetime, float]], to_watt: float) -> Series:
    """A series read by :func:`read_series` in W (``to_watt``: from :func:`to_watt_factors`)."""
    converted = [(moment, value * to_watt) for moment, value in points]
    return Series(converted, checksum(converted))


def checksum(points: list[tuple[datetime, float]]) -> str:
    """sha256 over the points as stored (epoch seconds and W, one ``t,v`` line each)."""
    digest = hashlib.sha256()
    for moment, value in points:
        digest.update(f"{int(moment.timestamp())},{value!r}\n".encode())
    return f"sha256:{digest.hexdigest()}"


def _rows(body: bytes, server: OutsideServer) -> list:
    try:
        answer = json.loads(body)
        results = answer["results"]
        if results and "error" in results[0]:
            raise OutsideRefused(f"{server.url} said: {str(results[0]['error'])[:200]}")
        series = results[0].get("series", []) if results else []
        return series[0]["values"] if series else []
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise OutsideRefused(f"{server.url} did not answer with InfluxDB query results") from exc


def _point(row, server: OutsideServer) -> tuple[datetime, float | None]:
    try:
        timestamp, value = row[0], row[1]
        moment = datetime.fromtimestamp(int(timestamp), tz=UTC)
        number = None if value is None else float(value)
        if number is not None and not math.isfinite(number):
            raise ValueError(number)
    except (ValueError, TypeError, IndexError, OverflowError, OSError) as exc:
        raise OutsideRefused(
            f"{server.url} answered a point that is not a time and a number"
        ) from exc
    return moment, number


def _utc(moment: datetime | None) -> datetime:
    if moment is None:  # the model's rules refuse a profile without dates
        raise ValueError("an input profile has no start or end date")
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
