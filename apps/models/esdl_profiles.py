"""The input profiles of an ESDL model as the product handles them: where one's data lives and
for which period (:class:`ProfileReference`), where it is moved to (:class:`ProfileTarget`),
and the dates and periods assumed where a model states none. Pure Python, no Django."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apps.models.esdl_attributes import quantity_unit

#: Ids of the standard demand profiles a consumer without a profile gets (with its asset id).
STANDARD_DEMAND_PREFIX = "standard-demand-"
#: The period of an input profile that states none, when no other input profile of the model
#: does either: the simulator's default year (one year, hourly).
DEFAULT_PROFILE_PERIOD = (datetime(2019, 1, 1, tzinfo=UTC), datetime(2019, 12, 31, 23, tzinfo=UTC))


def as_utc(value: datetime | None) -> datetime | None:
    """Naive ESDL dates are taken as UTC (the simulator compares UTC-aware datetimes)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso_or_none(value: datetime | None) -> str | None:
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
            "start": iso_or_none(self.start),
            "end": iso_or_none(self.end),
            "unit": self.unit,
            "multiplier": self.multiplier,
            "asset_power_w": self.asset_power_w,
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


def profile_unit(profile: Any) -> str:
    """The unit an InfluxDB profile states its values in, as text ("" when it states none)."""
    return quantity_unit(profile.profileQuantityAndUnit)
