"""Binding the input profiles of uploaded models to profiles in our store, after the upload
answered.

Each profile reference is answered by a copy of the series it names when its server is on the
operator's list and answers well (:mod:`apps.outside`: fetched here, in the background, so
neither a web request nor a worker ever goes outside), else by a BDEW profile generated over its
period, with the reason recorded (:class:`apps.outside.models.StandIn`).

Why in the background: generating and storing the profiles of a 1,000-asset network (248
profiles, 2.2 million points) took 30-90 s inside the upload request. The upload now stores the
model with ``profiles_status`` pending and answers; the profile binder
(``manage.py run_profile_binder``) claims one model at a time with a conditional UPDATE, binds
its references one by one (each binding committed with the model's progress, which its page
shows) and marks the model ready. A job cannot start before
(:class:`apps.models.services.ProfilesNotReady`).

Failure contract: a binder that dies leaves its model ``binding`` with the time of its last
progress; after ``DT_PROFILE_BINDING_STALE_S`` any binder claims it again and binds only the
references still unbound, so a model is bound once and never lost. A binder stopped by a signal
hands its model back at once. A profile whose points were written but whose binding was not
committed is unbound, and the sweep (:func:`apps.profiles.services.sweep_unbound_profiles`)
removes it. InfluxDB or PostgreSQL unreachable: the model stays claimed until its claim is stale,
then it is tried again; anything else (a period the standard method cannot make) fails the model
with the reason on its page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_profiles import ProfileReference
from apps.models.models import EsdlModel
from apps.outside.edr import refresh_pipes_from_edr
from apps.outside.influx_profiles import to_watt_factors
from apps.outside.services import Round, generated_profile, outside_profile, record_stand_in
from apps.profiles.models import InputProfile, ProfileBinding
from apps.profiles.services import forget_profiles, store_profile
from apps.profiles.standard import bdew_heat_profile
from omotes.influx import InfluxError

logger = logging.getLogger(__name__)

Status = EsdlModel.ProfilesStatus

#: Peak of a generated profile when the ESDL asset states no power (W).
DEFAULT_PEAK_W = 1_000_000.0
#: Standard demand profiles made within one submit request (about 50 ms each); a model with
#: more consumers without a profile is refused, saying so.
MAX_STANDARD_DEMANDS = 50


class ClaimLost(Exception):
    """The model was deleted, or another binder claimed it after this one went quiet."""


@dataclass
class Claim:
    """A binder's hold on one model: valid while the model's ``profiles_updated_at`` is still
    ``token``, the time this binder last wrote there."""

    esdl_model: EsdlModel
    token: datetime

    def update(self, **fields) -> None:
        """Record progress (and ``fields``) if the claim still holds; ClaimLost if not."""
        now = timezone.now()
        held = EsdlModel.objects.filter(
            pk=self.esdl_model.pk, profiles_status=Status.BINDING, profiles_updated_at=self.token
        ).update(profiles_updated_at=now, **fields)
        if not held:
            raise ClaimLost(f"model {self.esdl_model.pk}")
        self.token = now


def claim_next_model(now: datetime | None = None) -> Claim | None:
    """Claim the oldest model waiting for its profiles, or one whose binder went quiet.

    One conditional UPDATE per candidate (on its status and last progress, as read), so of
    binders racing for a model exactly one wins it.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.PROFILE_BINDING_STALE_S)
    candidates = (
        EsdlModel.objects.filter(
            Q(profiles_status=Status.PENDING)
            | Q(profiles_status=Status.BINDING, profiles_updated_at__lt=stale)
        )
        .order_by("created_at")
        .values_list("pk", "profiles_status", "profiles_updated_at")[:10]
    )
    for pk, status, updated_at in candidates:
        won = EsdlModel.objects.filter(
            pk=pk, profiles_status=status, profiles_updated_at=updated_at
        ).update(profiles_status=Status.BINDING, profiles_updated_at=now)
        if won:
            esdl_model = EsdlModel.objects.select_related("project__owner").get(pk=pk)
            return Claim(esdl_model, now)
    return None


def bind_model_profiles(claim: Claim, stop: Callable[[], bool] = lambda: False) -> None:
    """Bind each still unbound profile reference of the claimed model, then mark it ready;
    when ``stop()`` turns true, hand the model back (pending) between two references."""
    esdl_model = claim.esdl_model
    bound = set(esdl_model.profile_bindings.values_list("esdl_profile_id", flat=True))
    document = EsdlDocument(esdl_model.esdl)
    references = [r for r in document.profile_references() if r.id not in bound]
    claim.update(profiles_done=len(bound))
    refresh_pipes_from_edr(document.unresolved_pipe_sizes())  # none asked without an EDR
    claim.update()
    to_watt = to_watt_factors(document)
    round_ = Round()
    for reference in references:
        if stop():
            claim.update(profiles_status=Status.PENDING)
            return
        _bind(claim, reference, to_watt.get(reference.id), round_)
    claim.update(profiles_status=Status.READY, profiles_error="")
    logger.info("input profiles bound for model %s", esdl_model.pk)


def _standard_profile(owner, reference: ProfileReference) -> InputProfile:
    """Store the built-in standard profile that answers one reference (its asset's power as
    peak)."""
    peak_w = reference.asset_power_w or DEFAULT_PEAK_W
    asset = reference.asset_name or reference.asset_id or reference.id
    points = bdew_heat_profile(_hour(reference.start), _hour(reference.end), peak_w)
    return store_profile(
        owner, f"BDEW EFH for {asset} (peak {peak_w / 1e6:g} MW)", InputProfile.Source.BDEW, points
    )


def _binding(esdl_model: EsdlModel, reference: ProfileReference, profile) -> ProfileBinding:
    return ProfileBinding.objects.create(
        esdl_model=esdl_model,
        esdl_profile_id=reference.id,
        asset_id=(reference.asset_id or "")[:100],
        asset_name=(reference.asset_name or reference.asset_id or reference.id)[:200],
        original=(
            f"{reference.measurement} / {reference.field}"
            if reference.measurement
            else "none (a consumer without a demand profile)"
        )[:400],
        profile=profile,
    )


def _bind(
    claim: Claim, reference: ProfileReference, to_watt: float | str | None, round_: Round
) -> None:
    """Bind one reference to a copy of the series it names (:mod:`apps.outside`), or else to
    a standard profile (from the configured heat-profile generator, or the built-in BDEW one)
    with the reason the copy could not be made; with the model's progress."""
    owner = claim.esdl_model.project.owner
    asset = reference.asset_name or reference.asset_id or reference.id
    outcome = outside_profile(owner, reference, to_watt, round_)
    profile = outcome.profile
    peak_w = reference.asset_power_w or DEFAULT_PEAK_W
    reused = outcome.reused
    if profile is None:
        start, end = _hour(reference.start), _hour(reference.end)
        generated = generated_profile(owner, asset, start, end, peak_w, round_)
        profile, reused = generated.profile, generated.reused
    if profile is None:
        profile = _standard_profile(owner, reference)
    try:
        with transaction.atomic():
            binding = _binding(claim.esdl_model, reference, profile)
            record_stand_in(binding, outcome.reason)
            claim.update(profiles_done=F("profiles_done") + 1)
    except (ClaimLost, IntegrityError) as exc:  # deleted, or bound by another binder
        if not reused:  # a copy other models bind stays; the sweep takes it when unbound
            forget_profiles([profile.pk])
        raise ClaimLost(f"model {claim.esdl_model.pk}") from exc


def bind_standard_demands(esdl_model: EsdlModel, document: EsdlDocument) -> None:
    """Bind a standard demand profile to each consumer of the model without one, now (a job
    of a workflow that needs demand profiles is being submitted). At most
    :data:`MAX_STANDARD_DEMANDS` are made in the request; ValidationError beyond that."""
    bound = set(esdl_model.profile_bindings.values_list("esdl_profile_id", flat=True))
    references = [r for r in document.standard_demand_references() if r.id not in bound]
    if len(references) > MAX_STANDARD_DEMANDS:
        raise ValidationError(
            f"{len(references)} consumers of {esdl_model.name} have no demand profile; at most "
            f"{MAX_STANDARD_DEMANDS} get a standard one when a job is submitted. Add input "
            "profiles to them."
        )
    for reference in references:
        profile = _standard_profile(esdl_model.project.owner, reference)
        try:
            with transaction.atomic():
                _binding(esdl_model, reference, profile)
        except IntegrityError:  # bound by a submit at the same time
            forget_profiles([profile.pk])


def _hour(moment: datetime | None) -> datetime:
    if moment is None:  # a reference without dates takes the model's period (assumed_period)
        raise ValueError("an input profile has no start or end date")
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def bind_next_model(stop: Callable[[], bool] = lambda: False) -> bool:
    """Claim one model and bind its profiles; False when no model was waiting."""
    claim = claim_next_model()
    if claim is None:
        return False
    model_id = claim.esdl_model.pk
    try:
        bind_model_profiles(claim, stop)
    except ClaimLost:
        logger.warning("model %s: claim lost while binding its input profiles", model_id)
    except (InfluxError, DatabaseError):
        logger.exception("model %s: input profiles not bound now; tried again later", model_id)
    except Exception as exc:  # noqa: BLE001 - the model cannot be bound: say why on its page
        logger.exception("model %s: binding its input profiles failed", model_id)
        try:
            claim.update(profiles_status=Status.FAILED, profiles_error=str(exc)[:2000])
        except ClaimLost:
            pass
    return True
