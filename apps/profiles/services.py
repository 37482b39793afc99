"""Storing input profiles in our InfluxDB and binding them to the profile references of models."""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_datetime

from apps.models.esdl_document import EsdlDocument, ProfileTarget
from apps.models.esdl_rules import MAX_PROFILE_HOURS
from apps.profiles.models import InputProfile, ProfileBinding
from apps.profiles.standard import bdew_heat_profile
from apps.results.influx import influx_client
from omotes.influx import InfluxSettings, encode_line

logger = logging.getLogger(__name__)

# Peak of a generated profile when the ESDL asset states no power (W).
DEFAULT_PEAK_W = 1_000_000.0
MAX_CSV_BYTES = 10 * 1024 * 1024
MAX_PROFILE_POINTS = MAX_PROFILE_HOURS  # as long as the longest profile a model may ask for


def store_profile(
    owner, name: str, source: str, points: list[tuple[datetime, float]]
) -> InputProfile:
    """Write the points (UTC, W) to the profiles database and record the profile."""
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
    client = influx_client()
    client.create_database(settings.INFLUX_PROFILES_DATABASE)
    client.write_lines(
        settings.INFLUX_PROFILES_DATABASE,
        (
            line
            for ts, value in points
            if (
                line := encode_line(
                    profile.measurement, {}, {InputProfile.FIELD: value}, int(ts.timestamp())
                )
            )
        ),
    )
    return profile


def bind_standard_profiles(esdl_model, document: EsdlDocument) -> list[ProfileBinding]:
    """Bind each profile reference of a new model (``document``: its ESDL) to a generated
    standard heat-demand profile.

    The ESDL's own profiles live on servers we cannot reach, so the model gets a BDEW profile over
    the same period, scaled to the asset's stated power; the user can replace it with a CSV.
    """
    bindings = []
    for reference in document.profile_references():
        peak_w = reference.asset_power_w or DEFAULT_PEAK_W
        points = bdew_heat_profile(_hour(reference.start), _hour(reference.end), peak_w)
        profile = store_profile(
            esdl_model.project.owner,
            f"BDEW EFH for {reference.asset_name or reference.asset_id} (peak {peak_w / 1e6:g} MW)",
            InputProfile.Source.BDEW,
            points,
        )
        bindings.append(
            ProfileBinding.objects.create(
                esdl_model=esdl_model,
                esdl_profile_id=reference.id,
                asset_name=reference.asset_name or reference.asset_id,
                original=f"{reference.measurement} / {reference.field}"[:400],
                profile=profile,
            )
        )
    return bindings


def _hour(moment: datetime) -> datetime:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


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


def parse_profile_csv(data: bytes) -> list[tuple[datetime, float]]:
    """Read ``timestamp,value_w`` rows (ISO 8601 timestamps, UTC when no zone is given).

    A header row is allowed. Raises ValidationError naming the first bad line.
    """
    if len(data) > MAX_CSV_BYTES:
        raise ValidationError(f"The CSV file is larger than {MAX_CSV_BYTES // 1024 // 1024} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError("The CSV file is not UTF-8 text.") from exc
    points: list[tuple[datetime, float]] = []
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
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if points and moment <= points[-1][0]:
            raise ValidationError(f"Line {number}: timestamps must increase.")
        points.append((moment.astimezone(UTC), value))
        if len(points) > MAX_PROFILE_POINTS:
            raise ValidationError(f"A profile may have at most {MAX_PROFILE_POINTS} points.")
    if len(points) < 2:
        raise ValidationError("The CSV file has fewer than two data rows.")
    return points


def replace_binding_with_csv(binding: ProfileBinding, user, data: bytes) -> ProfileBinding:
    """Use an uploaded CSV profile (values in W) for one profile reference of a model."""
    points = parse_profile_csv(data)
    with transaction.atomic():
        binding.profile = store_profile(
            user, f"CSV for {binding.asset_name}", InputProfile.Source.CSV, points
        )
        binding.save(update_fields=["profile"])
    return binding
