"""Parameter values derived from the model, each with where it came from (R19).

A worker announces how a parameter follows from the model (``ParameterSpec.derive``, a name of
:data:`omotes.protocol.DERIVATIONS`); this module knows how to work each name out for an
uploaded model, so the run form shows the value the model implies and the job stores the value
it really used. A name it cannot work out for a model (no input profiles, no heat carrier), or
does not know (a newer worker), leaves the workflow's default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apps.models.models import EsdlModel
from apps.profiles.models import InputProfile
from omotes.protocol import ParameterSpec, WorkflowDescription

FROM_USER = "given by you"
FROM_DEFAULT = "the workflow's default"


@dataclass(frozen=True)
class Derived:
    """A parameter's value and, for a person, where it came from."""

    value: Any
    source: str


@dataclass(frozen=True)
class ModelFacts:
    """What derivations read from a model, gathered once per form or submit."""

    profile_start: datetime | None
    profile_end: datetime | None
    profile_step_s: int | None
    supply_temperatures: tuple[float, ...]
    return_temperatures: tuple[float, ...]

    @classmethod
    def of(cls, esdl_model: EsdlModel) -> ModelFacts:
        summary = esdl_model.summary or {}
        period = summary.get("profile_period") or {}
        carriers = summary.get("carriers") or []
        return cls(
            profile_start=_datetime(period.get("start")),
            profile_end=_datetime(period.get("end")),
            profile_step_s=_profile_step_s(esdl_model),
            supply_temperatures=tuple(
                c["supply_temperature"] for c in carriers if c.get("supply_temperature")
            ),
            return_temperatures=tuple(
                c["return_temperature"] for c in carriers if c.get("return_temperature")
            ),
        )


def _datetime(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


def _profile_step_s(esdl_model: EsdlModel) -> int | None:
    """The finest spacing of the profiles bound to the model (they are equidistant)."""
    spacings = [
        (profile.end - profile.start).total_seconds() / (profile.points - 1)
        for profile in InputProfile.objects.filter(
            profilebinding__esdl_model=esdl_model, points__gt=1
        ).only("start", "end", "points")
    ]
    return round(min(spacings)) if spacings else None


def _shown(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _period(facts: ModelFacts) -> str:
    return f"{_shown(facts.profile_start)} to {_shown(facts.profile_end)}"


def _profile_start(facts: ModelFacts) -> Derived | None:
    if facts.profile_start is None or facts.profile_end is None:
        return None
    return Derived(
        facts.profile_start.isoformat(), f"start of the input profiles ({_period(facts)})"
    )


def _profile_end(facts: ModelFacts) -> Derived | None:
    if facts.profile_start is None or facts.profile_end is None:
        return None
    return Derived(facts.profile_end.isoformat(), f"end of the input profiles ({_period(facts)})")


def _profile_timestep(facts: ModelFacts) -> Derived | None:
    if not facts.profile_step_s:
        return None
    return Derived(
        facts.profile_step_s,
        f"resolution of the input profiles (one point every {facts.profile_step_s:,} s)",
    )


def _supply_temperature(facts: ModelFacts) -> Derived | None:
    if not facts.supply_temperatures:
        return None
    return Derived(max(facts.supply_temperatures), "the highest supply temperature of the carriers")


def _return_temperature(facts: ModelFacts) -> Derived | None:
    if not facts.return_temperatures:
        return None
    return Derived(min(facts.return_temperatures), "the lowest return temperature of the carriers")


#: How each name of ``omotes.protocol.DERIVATIONS`` is worked out here.
DERIVERS: dict[str, Callable[[ModelFacts], Derived | None]] = {
    "profile_start": _profile_start,
    "profile_end": _profile_end,
    "profile_timestep": _profile_timestep,
    "supply_temperature": _supply_temperature,
    "return_temperature": _return_temperature,
}


def derive(spec: ParameterSpec, facts: ModelFacts) -> Derived:
    """The value the model implies for ``spec``, else the workflow's default."""
    deriver = DERIVERS.get(spec.derive)
    derived = deriver(facts) if deriver else None
    if derived is not None and _within_bounds(spec, derived.value):
        return derived
    return Derived(spec.default, FROM_DEFAULT if spec.default is not None else "")


def _within_bounds(spec: ParameterSpec, value: Any) -> bool:
    if isinstance(value, int | float):
        return (spec.minimum is None or value >= spec.minimum) and (
            spec.maximum is None or value <= spec.maximum
        )
    return True


def derived_values(description: WorkflowDescription, facts: ModelFacts) -> dict[str, Derived]:
    return {spec.key: derive(spec, facts) for spec in description.parameters}
