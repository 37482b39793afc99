"""Storing input profiles in our InfluxDB, replacing them by CSV, and removing unbound ones.

A profile's points live in measurement ``profile_<pk>`` of the profiles database; its row
(:class:`InputProfile`) lives as long as a model binds it. Binding a new model's references to
standard profiles happens in the background: :mod:`apps.profiles.binding`.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_profiles import ProfileTarget
from apps.outside.models import StandIn
from apps.profiles.limits import ProfileLimits, years_problem
from apps.profiles.models import InputProfile, ProfileBinding
from apps.results.influx import influx_client
from omotes.influx import InfluxError, InfluxSettings, encode_line, quote_identifier

logger = logging.getLogger(__name__)

MAX_CSV_BYTES = 10 * 1024 * 1024
#: Shard group duration of the profiles database: 191 years per shard group (1917-2109 is one).
#: Profiles are read whole by measurement and removed by measurement, never expired by time, so
#: time partitions buy nothing; InfluxDB's default for an infinite policy is one week, which made
#: every year of profile data 53 shards (each with its own files open) and 50 years ~2,600.
PROFILE_SHARD_DURATION = "10000w"
#: An unbound profile younger than this may be one being stored right now (its points are written
#: before its binding is committed), so the sweep leaves it alone.
UNBOUND_GRACE = timedelta(minutes=10)
_DROP_BATCH = 50  # DROP MEASUREMENT statements per query (they travel in the URL)


@functools.cache
def _ensured(database: str) -> None:
    influx_client().create_database(database, shard_duration=PROFILE_SHARD_DURATION)


def ensure_profiles_database(again: bool = False) -> str:
    """The profiles database's name, once per process (or ``again``) created if missing and its
    default retention policy given :data:`PROFILE_SHARD_DURATION` (an existing database made with
    weekly shards gets long ones for all data written from now on; old shards stay as they are).
    """
    database = settings.INFLUX_PROFILES_DATABASE
    if again:
        _ensured.cache_clear()
    _ensured(database)
    return database


def _write_points(measurement: str, points: list[tuple[datetime, float]]) -> None:
    """Write one profile's points; a database gone since this process made sure of it (dropped
    by an operator, or replaced by a restore) is made again, once."""
    lines = [
        line
        for ts, value in points
        if (line := encode_line(measurement, {}, {InputProfile.FIELD: value}, int(ts.timestamp())))
    ]
    try:
        influx_client().write_lines(ensure_profiles_database(), lines)
    except InfluxError as exc:
        if "database not found" not in str(exc):
            raise
        influx_client().write_lines(ensure_profiles_database(again=True), lines)


def store_profile(
    owner, name: str, source: str, points: list[tuple[datetime, float]]
) -> InputProfile:
    """Record a profile and write its points (UTC, W) to the profiles database.

    The row is committed before the points are written (unless the caller holds a transaction):
    a process that dies in between leaves an unbound profile, which
    :func:`forget_unbound_profiles` removes with whatever points it has. The points must be
    within :class:`~apps.profiles.limits.ProfileLimits`; callers check them first.
    """
    if len(points) < 2:
        raise ValidationError("A profile needs at least two points.")
    profile = InputProfile.objects.create(
        owner=owner,
        name=name[:200],
        source=source,
        start=points[0][0],
        end=points[-1][0],
        points=len(points),
        peak_w=max(value for _, value in points),
    )
    try:
        _write_points(profile.measurement, points)
    except InfluxError:
        forget_profiles([profile.pk])
        raise
    return profile


def forget_profiles(pks: list[int]) -> None:
    """Remove these (unbound) profiles: their points first, then their rows, so a failure in
    between leaves rows for :func:`forget_unbound_profiles` to finish."""
    if not pks:
        return
    database = settings.INFLUX_PROFILES_DATABASE
    if database in influx_client().list_databases():  # else there are no points to drop
        for first in range(0, len(pks), _DROP_BATCH):
            statements = "; ".join(
                f"DROP MEASUREMENT {quote_identifier(InputProfile.measurement_of(pk))}"
                for pk in pks[first : first + _DROP_BATCH]
            )
            influx_client().query(statements, database=database)
    InputProfile.objects.filter(pk__in=pks, profilebinding__isnull=True).delete()


def forget_unbound_profiles(
    pks: Iterable[int] | None = None, *, created_before: datetime | None = None
) -> int:
    """Remove profiles no model binds any more: among ``pks`` (profiles a deleted model or a
    replaced binding used), or those created before ``created_before`` (the sweep, for what a
    crash left behind; 1,000 a round). Returns how many went; InfluxError leaves them for the next
    sweep."""
    unbound = InputProfile.objects.filter(profilebinding__isnull=True)
    if pks is not None:
        unbound = unbound.filter(pk__in=list(pks))
    if created_before is not None:
        unbound = unbound.filter(created_at__lt=created_before)
    found = list(unbound.values_list("pk", flat=True)[: None if pks is not None else 1000])
    forget_profiles(found)
    if found:
        logger.info("unbound input profiles removed: %d", len(found))
    return len(found)


def forget_unbound_profiles_quietly(pks: list[int]) -> None:
    """:func:`forget_unbound_profiles` after a commit, where nothing may raise."""
    try:
        forget_unbound_profiles(pks)
    except Exception:  # noqa: BLE001 - InfluxDB down: the sweep removes them later
        logger.exception("unbound input profiles not removed; the sweep will retry")


def rewrite_for_job(esdl_model, document: EsdlDocument) -> None:
    """Point every profile reference of ``document`` (the model's ESDL, on its way to a job) at
    the profile bound to it in our InfluxDB; ValidationError naming the assets left unbound."""
    influx = InfluxSettings(url=settings.INFLUX_URL)
    bindings = {b.esdl_profile_id: b for b in esdl_model.profile_bindings.select_related("profile")}
    missing = [r for r in document.profile_references() if r.id not in bindings]
    if missing:
        names = ", ".join(r.asset_name or r.id for r in missing)
        raise ValidationError(f"No input profile is bound for: {names}.")
    targets = {
        profile_id: ProfileTarget(
            host=influx.host,
            port=influx.port,
            database=settings.INFLUX_PROFILES_DATABASE,
            measurement=binding.profile.measurement,
            field=InputProfile.FIELD,
            start=binding.profile.start,
            end=binding.profile.end,
        )
        for profile_id, binding in bindings.items()
    }
    document.rewrite_profiles(targets)


def parse_profile_csv(data: bytes, limits: ProfileLimits) -> list[tuple[datetime, float]]:
    """Read ``timestamp,value_w`` rows (ISO 8601 timestamps, UTC when no zone is given).

    A header row is allowed. Raises ValidationError naming the first bad line, which includes the
    first point past ``limits`` (points, period, or a timestamp outside the years allowed), so a
    file spread thinly over centuries is refused as soon as it leaves the period.
    """
    if len(data) > MAX_CSV_BYTES:
        raise ValidationError(f"The CSV file is larger than {MAX_CSV_BYTES // 1024 // 1024} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError("The CSV file is not UTF-8 text.") from exc
    points: list[tuple[datetime, float]] = []
    latest_end: datetime | None = None
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip():
            continue
        if len(row) < 2:
            raise ValidationError(f"Line {number}: expected 'timestamp,value_w'.")
        moment = parse_datetime(row[0].strip())
        try:
            value = float(row[1])
        except ValueError as exc:
            if number == 1 and moment is None:
                continue  # header
            raise ValidationError(f"Line {number}: {row[1]!r} is not a number.") from exc
        if moment is None:
            raise ValidationError(f"Line {number}: {row[0]!r} is not an ISO 8601 timestamp.")
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
        if problem := years_problem(moment):
            raise ValidationError(f"Line {number}: {problem}.")
        if points and moment <= points[-1][0]:
            raise ValidationError(f"Line {number}: timestamps must increase.")
        if latest_end is None:
            latest_end = limits.latest_end(moment)
        elif moment > latest_end:
            problem = limits.period_problem(points[0][0], moment, "a profile")
            raise ValidationError(f"Line {number}: {problem}.")
        points.append((moment, value))
        if problem := limits.points_problem(len(points), "a profile"):
            raise ValidationError(f"Line {number}: {problem}.")
    if len(points) < 2:
        raise ValidationError("The CSV file has fewer than two data rows.")
    return points


def replace_binding_with_csv(binding: ProfileBinding, user, data: bytes) -> ProfileBinding:
    """Use an uploaded CSV profile (values in W) for one profile reference of a model; the
    profile it replaces goes once no model binds it.

    ValidationError names the asset and the bound broken (the CSV's points and period, or the
    model's points together); nothing changes then.
    """
    asset = f"{binding.asset_name} (asset id {binding.asset_id or '?'})"
    limits = ProfileLimits.from_settings()
    try:
        points = parse_profile_csv(data, limits)
    except ValidationError as exc:
        raise ValidationError(f"CSV for {asset}: {' '.join(exc.messages)}") from exc
    others = binding.esdl_model.profile_bindings.exclude(pk=binding.pk).aggregate(
        points=Sum("profile__points")
    )["points"]
    if problems := limits.model_problems([others or 0, len(points)]):
        raise ValidationError(f"CSV for {asset}: {' '.join(problems)}.")
    replaced = binding.profile_id
    profile = store_profile(user, f"CSV for {binding.asset_name}", InputProfile.Source.CSV, points)
    with transaction.atomic():
        binding.profile = profile
        binding.save(update_fields=["profile"])
        StandIn.objects.filter(binding=binding).delete()  # the user's data now, not a stand-in
        transaction.on_commit(lambda: forget_unbound_profiles_quietly([replaced]))
    return binding


def sweep_unbound_profiles() -> int:
    """Remove the unbound profiles older than :data:`UNBOUND_GRACE` (what crashes left)."""
    return forget_unbound_profiles(created_before=timezone.now() - UNBOUND_GRACE)
