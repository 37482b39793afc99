"""Bringing the input profiles an ESDL names into our store, recording what a job used, and
asking for a fetch again.

The profile binder (:mod:`apps.profiles.binding`) asks :func:`outside_profile` for each profile
reference: a copy of the outside series when its server is on the operator's list and answers
well (:mod:`apps.outside.fetch`), else the reason why not, and then the standard profile stands
in (:class:`~apps.outside.models.StandIn`) and the model's page, the job's page and the job's
record say so per asset.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.models.esdl_profiles import ProfileReference
from apps.models.models import EsdlModel, PipeType
from apps.outside.fetch import Limits, OutsideRefused, OutsideUnreachable, server_at, server_of_url
from apps.outside.generator import generate_profile, yearly_demand_wh
from apps.outside.influx_profiles import in_watt, read_series
from apps.outside.models import FetchedProfile, JobInput, StandIn
from apps.profiles.limits import ProfileLimits
from apps.profiles.models import InputProfile, ProfileBinding
from apps.profiles.services import forget_unbound_profiles_quietly, store_profile

logger = logging.getLogger(__name__)

#: Series a binding round keeps once read (a year hourly is 8,760 points, about 1 MB in Python).
REMEMBERED_SERIES = 16


@dataclass
class Round:
    """One model's binding: a server found unreachable is not asked again in the same round
    (a model can name hundreds of series on one server; each would wait out the timeouts)."""

    limits: Limits = field(default_factory=Limits.from_settings)
    max_points: int = field(default_factory=lambda: ProfileLimits.from_settings().max_points)
    down: dict[str, str] = field(default_factory=dict)
    #: The last series read, and the reasons series were refused, by (server, database,
    #: measurement, field, start, end): assets of a model share a few series, each with a
    #: multiplier of its own, and each series is read once.
    read: OrderedDict[tuple, list | str] = field(default_factory=OrderedDict)

    def remember(self, key: tuple, series_or_reason: list | str) -> None:
        self.read[key] = series_or_reason
        while len(self.read) > REMEMBERED_SERIES:
            self.read.popitem(last=False)


@dataclass(frozen=True)
class Outcome:
    """A profile to bind (``reused``: a copy already in the store), or why the standard one
    stands in."""

    profile: InputProfile | None = None
    reused: bool = False
    reason: str = ""


def outside_profile(
    owner, reference: ProfileReference, to_watt: float | str | None, round_: Round
) -> Outcome:
    """The reference's series copied into our store (or the copy made before), or the reason
    it cannot be: ``source not allowed``, ``source refused`` or ``source unreachable``."""
    try:
        server = server_at(reference.host, reference.port)
    except OutsideRefused as exc:
        return Outcome(reason=f"source not allowed: {exc}")
    if not isinstance(to_watt, float):
        return Outcome(reason=f"source not used: {to_watt or 'the profile has no unit'}")
    key = {
        "server": server.name,
        "database": reference.database,
        "measurement": reference.measurement,
        "field": reference.field,
        "start": reference.start,
        "end": reference.end,
        "to_watt": to_watt,
    }
    cached = FetchedProfile.objects.filter(**key).select_related("profile").first()
    if cached is not None:
        return Outcome(cached.profile, reused=True)
    if server.name in round_.down:
        return Outcome(reason=round_.down[server.name])
    series_key = tuple(key[name] for name in ("server", "database", "measurement", "field"))
    series_key += (reference.start, reference.end)
    raw = round_.read.get(series_key)
    if raw is None:
        try:
            raw = read_series(server, reference, round_.max_points, round_.limits)
        except OutsideRefused as exc:
            raw = f"source refused: {exc}"
        except OutsideUnreachable as exc:
            round_.down[server.name] = f"source unreachable: {exc}"
            return Outcome(reason=round_.down[server.name])
        round_.remember(series_key, raw)
    if isinstance(raw, str):
        return Outcome(reason=raw)
    series = in_watt(raw, to_watt)
    profile = store_profile(
        owner,
        f"{reference.measurement} / {reference.field} from {server.name}",
        InputProfile.Source.OUTSIDE,
        series.points,
    )
    FetchedProfile.objects.create(profile=profile, url=server.url, checksum=series.checksum, **key)
    logger.info("input profile %s copied from %s (%s)", profile.pk, server.url, series.checksum)
    return Outcome(profile)


def generated_profile(
    owner, asset: str, start: datetime, end: datetime, peak_w: float, round_: Round
) -> Outcome:
    """A demand profile for ``asset`` from ``start`` to ``end`` (UTC hours) from the
    configured heat-profile generator (:mod:`apps.outside.generator`), the copy made before
    for the same request, or none (no generator, or it failed: BDEW stands in)."""
    if not settings.PROFILE_GENERATOR_URL:
        return Outcome()
    try:
        server, _ = server_of_url(settings.PROFILE_GENERATOR_URL)
    except OutsideRefused as exc:
        logger.warning("heat-profile generator not asked: %s", exc)
        return Outcome()
    demand_wh = yearly_demand_wh(peak_w, start.year)
    key = {
        "server": server.name,
        "database": "",
        "measurement": "EFH demand profile",
        "field": f"yearly demand {demand_wh:.0f} Wh",
        "start": start,
        "end": end,
        "to_watt": 1.0,
    }
    cached = FetchedProfile.objects.filter(**key).select_related("profile").first()
    if cached is not None:
        return Outcome(cached.profile, reused=True)
    if server.name in round_.down:
        return Outcome()
    try:
        generated = generate_profile("EFH", demand_wh, start, end, round_.max_points, round_.limits)
    except (OutsideRefused, OutsideUnreachable) as exc:
        round_.down[server.name] = str(exc)
        logger.warning("heat-profile generator failed for %s: %s", asset, exc)
        return Outcome()
    profile = store_profile(
        owner,
        f"EFH from {server.name} for {asset}",
        InputProfile.Source.GENERATOR,
        generated.points,
    )
    FetchedProfile.objects.create(
        profile=profile, url=generated.source[:300], checksum=generated.checksum, **key
    )
    return Outcome(profile)


def record_stand_in(binding: ProfileBinding, reason: str) -> None:
    if reason:
        StandIn.objects.create(binding=binding, reason=reason[:500])


class RetryRefused(ValidationError):
    """The model's profiles are being bound right now (409 in the API)."""


def retry_outside_profiles(esdl_model: EsdlModel) -> int:
    """Ask the binder to fetch again each profile the standard one stands in for: their
    bindings go, the model waits for its binder again (jobs wait too, 409), and the binder
    binds them anew, from the outside or, failing that, with the standard profile and the new
    reason. Returns how many; RetryRefused while the model is being bound."""
    with transaction.atomic():
        model = EsdlModel.objects.select_for_update().get(pk=esdl_model.pk)
        if model.profiles_status != EsdlModel.ProfilesStatus.READY:
            raise RetryRefused(
                f"The input profiles of {model.name} are being bound now; try again once they "
                "are ready."
            )
        stand_ins = model.profile_bindings.filter(stand_in__isnull=False)
        replaced = list(stand_ins.values_list("profile_id", flat=True))
        if not replaced:
            return 0
        stand_ins.delete()
        model.profiles_status = EsdlModel.ProfilesStatus.PENDING
        model.profiles_done = model.profile_bindings.count()
        model.profiles_error = ""
        model.profiles_updated_at = timezone.now()
        model.save(
            update_fields=[
                "profiles_status",
                "profiles_done",
                "profiles_error",
                "profiles_updated_at",
            ]
        )
        transaction.on_commit(lambda: forget_unbound_profiles_quietly(replaced))
    logger.info("model %s: %d input profiles to fetch again", esdl_model.pk, len(replaced))
    return len(replaced)


def record_job_inputs(job) -> None:
    """Record on ``job`` the inputs its model has now: per profile reference where the profile
    came from (copied from outside: source, time fetched, checksum; else the standard profile
    and why, or the user's CSV), and for each size-only pipe whether it came from the EDR
    (where, when, checksum) or the local catalogue."""
    bindings = job.esdl_model.profile_bindings.select_related(
        "profile", "profile__fetched", "stand_in"
    )
    rows = []
    for binding in bindings:
        fetched = _related(binding.profile, "fetched")
        stand_in = _related(binding, "stand_in")
        rows.append(
            JobInput(
                job=job,
                kind=JobInput.Kind.PROFILE,
                esdl_id=binding.esdl_profile_id,
                asset_name=binding.asset_name,
                source=(fetched.source if fetched else binding.profile.name)[:500],
                fetched_at=fetched.fetched_at if fetched else None,
                checksum=fetched.checksum if fetched else "",
                stand_in_reason=stand_in.reason if stand_in else "",
            )
        )
    names = job.esdl_model.summary.get("unresolved_pipe_sizes") or []
    for pipe in PipeType.objects.filter(name__in=names).select_related("fetched"):
        fetched = _related(pipe, "fetched")
        rows.append(
            JobInput(
                job=job,
                kind=JobInput.Kind.PIPE,
                esdl_id=pipe.name,
                source=fetched.url if fetched else "the local pipe catalogue",
                fetched_at=fetched.fetched_at if fetched else None,
                checksum=fetched.checksum if fetched else "",
            )
        )
    JobInput.objects.bulk_create(rows)


def _related(obj, name: str):
    """A reverse one-to-one, or None when there is none."""
    try:
        return getattr(obj, name)
    except obj._meta.get_field(name).related_model.DoesNotExist:
        return None
