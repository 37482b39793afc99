"""Reading an uploaded ESDL model: the upload-page summary and its InfluxDB input profiles.

:func:`summarize_esdl` gives the overview shown after an upload, :func:`profile_references` lists
the model's ``esdl:InfluxDBProfile`` inputs, and :func:`rewrite_profiles` points them at our own
store. All of them parse through :func:`apps.models.esdl_intake._load`, so the hostile-input
checks always run first. Everything here is pure Python: no Django, no database, no network.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from esdl import esdl
from esdl.units.parser import unit_to_string
from pyecore.ecore import EObject

from apps.models.esdl_intake import EsdlRejected, _iter_assets, _load, to_text
from apps.models.pipe_catalogue import _unresolved


def _as_utc(value: datetime | None) -> datetime | None:
    """Naive ESDL dates are taken as UTC (the simulator compares UTC-aware datetimes)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class ProfileReference:
    """An ``esdl:InfluxDBProfile`` of the model: where its data lives and for which period."""

    id: str
    asset_id: str | None
    asset_name: str | None
    port_id: str | None
    host: str
    port: int
    database: str
    measurement: str
    field: str
    start: datetime | None
    end: datetime | None
    unit: str
    multiplier: float
    asset_power_w: float | None = None  # the asset's installed power, to scale a standard profile

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (ISO 8601 dates)."""
        return {
            "id": self.id,
            "asset_id": self.asset_id,
            "asset_name": self.asset_name,
            "port_id": self.port_id,
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "measurement": self.measurement,
            "field": self.field,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "unit": self.unit,
            "multiplier": self.multiplier,
            "asset_power_w": self.asset_power_w,
        }


def _profile_unit(profile: Any) -> str:
    qau = profile.profileQuantityAndUnit
    if isinstance(qau, esdl.QuantityAndUnitReference):
        qau = qau.reference
    if qau is None:
        return ""
    try:
        return str(unit_to_string(qau))
    except Exception:  # unknown enum literal in an exotic unit: show what we can
        return str(getattr(qau, "unit", ""))


def _containers(obj: EObject) -> Iterator[EObject]:
    current = obj.eContainer()
    while current is not None:
        yield current
        current = current.eContainer()


def _profile_refs(energy_system: Any) -> list[ProfileReference]:
    refs = []
    for obj in energy_system.eAllContents():
        if not isinstance(obj, esdl.InfluxDBProfile):
            continue
        port = next((c for c in _containers(obj) if isinstance(c, esdl.Port)), None)
        asset = next((c for c in _containers(obj) if isinstance(c, esdl.Asset)), None)
        refs.append(
            ProfileReference(
                id=obj.id,
                asset_id=asset.id if asset is not None else None,
                asset_name=asset.name if asset is not None else None,
                port_id=port.id if port is not None else None,
                host=obj.host or "",
                port=int(obj.port or 0),
                database=obj.database or "",
                measurement=obj.measurement or "",
                field=obj.field or "",
                start=_as_utc(obj.startDate),
                end=_as_utc(obj.endDate),
                unit=_profile_unit(obj),
                multiplier=float(obj.multiplier if obj.multiplier is not None else 1.0),
                asset_power_w=float(getattr(asset, "power", 0.0) or 0.0) or None,
            )
        )
    return refs


def profile_references(text: str) -> list[ProfileReference]:
    """All InfluxDB input profiles of the model, with their asset and port."""
    return _profile_refs(_load(text).energy_system)


def summarize_esdl(text: str) -> dict[str, Any]:
    """A JSON-serialisable overview for the upload page: assets, carriers, input profiles."""
    loaded = _load(text)
    es = loaded.energy_system
    counts: dict[str, int] = {}
    for asset in _iter_assets(es):
        counts[asset.eClass.name] = counts.get(asset.eClass.name, 0) + 1
    carriers = []
    info = es.energySystemInformation
    if info is not None and info.carriers is not None:
        for carrier in info.carriers.carrier:
            entry: dict[str, Any] = {
                "id": carrier.id,
                "name": carrier.name,
                "class": carrier.eClass.name,
            }
            if isinstance(carrier, esdl.HeatCommodity):
                # unset temperatures read as 0.0 in pyecore: report them as None instead
                for key, attr in (
                    ("supply_temperature", "supplyTemperature"),
                    ("return_temperature", "returnTemperature"),
                ):
                    entry[key] = getattr(carrier, attr) if carrier.eIsSet(attr) else None
            carriers.append(entry)
    profiles = _profile_refs(es)
    starts = [p.start for p in profiles if p.start is not None]
    ends = [p.end for p in profiles if p.end is not None]
    return {
        "name": es.name,
        "id": es.id,
        "asset_counts": dict(sorted(counts.items())),
        "asset_total": sum(counts.values()),
        "carriers": carriers,
        "input_profiles": [p.to_dict() for p in profiles],
        "profile_period": {
            "start": _iso(min(starts)) if starts else None,
            "end": _iso(max(ends)) if ends else None,
        },
        "unresolved_pipe_sizes": _unresolved(loaded),
        "parse_warnings": loaded.warnings[:50],
    }


@dataclass(frozen=True)
class ProfileTarget:
    """Where an input profile now lives (our own InfluxDB) and its exact period."""

    host: str
    port: int
    database: str
    measurement: str
    field: str
    start: datetime
    end: datetime


def rewrite_profiles(text: str, replacements: Mapping[str, ProfileTarget]) -> str:
    """Point InfluxDB profiles (by profile id) at our own store, in W, with UTC-aware dates.

    The frontend stores input profiles in W, so the unit becomes POWER in WATT and the
    multiplier 1; the simulator matches first/last points against start/end as UTC-aware
    datetimes, so naive dates are taken as UTC.
    """
    loaded = _load(text)
    by_id = {
        obj.id: obj
        for obj in loaded.energy_system.eAllContents()
        if isinstance(obj, esdl.InfluxDBProfile)
    }
    unknown = sorted(set(replacements) - set(by_id))
    if unknown:
        raise EsdlRejected(f"No InfluxDB profile with id {', '.join(unknown)} in this ESDL")
    for profile_id, target in replacements.items():
        profile = by_id[profile_id]
        profile.host = target.host
        profile.port = int(target.port)
        profile.database = target.database
        profile.measurement = target.measurement
        profile.field = target.field
        profile.startDate = _as_utc(target.start)
        profile.endDate = _as_utc(target.end)
        profile.multiplier = 1.0
        profile.profileQuantityAndUnit = esdl.QuantityAndUnitType(
            id=str(uuid.uuid4()),
            physicalQuantity=esdl.PhysicalQuantityEnum.POWER,
            unit=esdl.UnitEnum.WATT,
            multiplier=esdl.MultiplierEnum.NONE,
            description="Power in W",
        )
    return to_text(loaded.handler)
