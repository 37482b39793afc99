"""What a model must satisfy before it is stored, beyond being harmless and readable.

:func:`apps.models.esdl_intake.load` already refuses duplicate ids and references to no object
while it streams the file (pyesdl cannot load those). The rules here need the parsed model: a
model that breaks one would otherwise be stored and fail later, as a server error while its
input profiles are bound, or in the simulator. Each broken rule names the object (type, name,
id, and the asset it belongs to), the attribute and its value, and the rule. Everything here is
pure Python: no Django, no database, no network.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from esdl import esdl
from pyecore.ecore import EAttribute

from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_intake import EsdlInvalid
from apps.models.esdl_profiles import as_utc
from apps.profiles.limits import ProfileLimits, hourly_points, years_problem

_FLOAT_TYPES = frozenset({"EDouble", "EFloat", "EDoubleObject", "EFloatObject"})


def describe(obj: Any) -> str:
    """``Pipe "P1" (id 42)``, or ``InPort "In" (id 7) of Pipe "P1" (id 42)`` inside an asset."""
    shown = obj.eClass.name
    name = getattr(obj, "name", None)
    shown += f' "{name}"' if name else ""
    shown += f" (id {obj.id})" if getattr(obj, "id", None) else ""
    if isinstance(obj, esdl.Asset):
        return shown
    container = obj.eContainer()
    while container is not None and not isinstance(container, esdl.Asset):
        container = container.eContainer()
    return f"{shown} of {describe(container)}" if container is not None else shown


@lru_cache(maxsize=512)
def _float_attributes(eclass: Any) -> tuple[EAttribute, ...]:
    return tuple(
        feature
        for feature in eclass.eAllStructuralFeatures()
        if isinstance(feature, EAttribute) and feature.eType.name in _FLOAT_TYPES
    )


def _non_finite_numbers(document: EsdlDocument) -> list[str]:
    problems = []
    for obj in [document.energy_system, *document.energy_system.eAllContents()]:
        for attribute in _float_attributes(obj.eClass):
            value = obj.eGet(attribute)
            values = list(value) if attribute.many else [value]
            if any(v is not None and not math.isfinite(v) for v in values):
                problems.append(
                    f"{describe(obj)}: {attribute.name} {value}: numbers must be finite"
                )
    return problems


def _pipe_problems(document: EsdlDocument) -> list[str]:
    """A stated length or diameter must be more than 0 m; unset diameters are the simulator's
    business (it has defaults), and ``innerDiameter="0"`` with a DN size asks for the pipe
    catalogue, so only a stated ``innerDiameter`` on a pipe that names no size counts."""
    sized_by_catalogue = {id(pipe) for pipe, _ in document.pipes_needing_size()}
    problems = []
    for pipe in document.assets():
        if not isinstance(pipe, esdl.Pipe):
            continue
        stated = ["length", "outerDiameter"]
        if id(pipe) not in sized_by_catalogue:
            stated.append("innerDiameter")
        for attribute in stated:
            value = getattr(pipe, attribute)
            if (attribute == "length" or pipe.eIsSet(attribute)) and not value > 0:
                problems.append(f"{describe(pipe)}: {attribute} {value} m: must be more than 0 m")
    return problems


def _carrier_problems(document: EsdlDocument) -> list[str]:
    problems = []
    seen: set[frozenset[int]] = set()
    for asset in document.assets():
        for port in asset.port:
            for other in port.connectedTo:
                pair = frozenset((id(port), id(other)))
                if pair in seen or port.carrier is None or other.carrier is None:
                    continue
                seen.add(pair)
                if port.carrier is not other.carrier:
                    problems.append(
                        f"{describe(port)}: carrier {describe(port.carrier)} is connected to "
                        f"{describe(other)} on carrier {describe(other.carrier)}: connected "
                        "ports must carry the same carrier"
                    )
    return problems


def _profile_problems(document: EsdlDocument, limits: ProfileLimits) -> list[str]:
    """Each input profile is bound to an hourly standard profile over its period
    (apps.profiles), so the period and its hourly points are what the model would write; a
    profile without dates is bound over the period assumed for it."""
    problems = []
    points = []
    assumed = document.assumed_period()
    for profile in document.input_profiles():  # results of an earlier run are not bound
        shown = describe(profile)
        # a profile without dates takes the model's period (EsdlDocument.assumed_period)
        start, end = profile.startDate or assumed[0], profile.endDate or assumed[1]
        odd_years = [
            f"{shown}: {name} {problem}"
            for name, value in (("startDate", start), ("endDate", end))
            if (problem := years_problem(value))
        ]
        problems.extend(odd_years)
        if odd_years:  # year 1 in UTC may not exist
            continue
        start, end = as_utc(start), as_utc(end)
        if end <= start:
            problems.append(
                f"{shown}: endDate {end.isoformat()}: must be after startDate {start.isoformat()}"
            )
            continue
        points.append(hourly_points(start, end))
        problem = limits.period_problem(start, end, "an input profile") or limits.points_problem(
            points[-1], "an input profile", unit="hourly points"
        )
        if problem:
            problems.append(f"{shown}: {problem}")
    return problems + limits.model_problems(points)


def _power_problems(document: EsdlDocument) -> list[str]:
    return [
        f"{describe(asset)}: power {asset.power} W: must not be negative"
        for asset in document.assets()
        if isinstance(getattr(asset, "power", None), float) and asset.power < 0
    ]


def check_rules(document: EsdlDocument, limits: ProfileLimits) -> None:
    """Raise EsdlInvalid listing every rule ``document`` breaks, its input profiles within
    ``limits`` (:mod:`apps.profiles.limits`); return if it breaks none."""
    if next(document.assets(), None) is None:
        raise EsdlInvalid(["The model: no assets: a model needs at least one asset"])
    non_finite = _non_finite_numbers(document)
    if non_finite:  # the other rules compare numbers, which NaN would fool
        raise EsdlInvalid(non_finite)
    problems = [
        *_pipe_problems(document),
        *_carrier_problems(document),
        *_power_problems(document),
        *_profile_problems(document, limits),
    ]
    if problems:
        raise EsdlInvalid(problems)
