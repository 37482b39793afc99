"""What a job produces: series in its own InfluxDB database, messages per ESDL object and KPIs;
or, when it fails, an error the user can act on."""

from __future__ import annotations

import enum
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from omotes.protocol.fields import (
    Fields,
    ProtocolError,
    check,
    check_text,
    is_int,
    is_number,
    set_field,
    short,
)


class WorkflowError(Exception):
    """A job failed for a reason the user can act on; the message is shown to them as is.

    Raised by workflows (and the result writer they call); the worker sends its text as the
    ``reason`` of the job's error event, and ``messages`` (per ESDL object: which assets make a
    design infeasible) with it.
    """

    def __init__(self, reason: str, messages: Iterable[AssetMessage] = ()) -> None:
        super().__init__(reason)
        self.messages: tuple[AssetMessage, ...] = tuple(messages)


def job_database(job_id: uuid.UUID | str) -> str:
    """The InfluxDB database of one job's output series: ``job_<32 hex digits>``.

    Workers write it; the frontend reads it, grants read access to it and drops it with the job.
    All of them name it through this function.
    """
    return f"job_{uuid.UUID(str(job_id)).hex}"


@dataclass(frozen=True)
class SeriesDescription:
    """One output time series a workflow wrote to the job's InfluxDB database.

    The frontend lists these to let a user pick an asset and a quantity, and reads the values with
    ``SELECT "<field>" FROM "<measurement>" WHERE "asset_id" = '<asset_id>'``; ``points`` counts
    the stored (finite) values, ``unit`` is the unit they are stored in ("-" if none).
    """

    asset_id: str
    asset_name: str
    asset_class: str
    measurement: str
    field: str
    unit: str
    points: int

    def __post_init__(self) -> None:
        what = f"series {self.asset_id!r}"
        for name in ("asset_id", "measurement", "field"):
            check_text(getattr(self, name), what, name, allow_empty=False)
        for name in ("asset_name", "asset_class", "unit"):
            check_text(getattr(self, name), what, name)
        check(is_int(self.points) and self.points >= 0, what, "points must be a count")

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset_id": self.asset_id,
            "asset_name": self.asset_name,
            "asset_class": self.asset_class,
            "measurement": self.measurement,
            "field": self.field,
            "unit": self.unit,
            "points": self.points,
        }

    @classmethod
    def from_dict(cls, data: Any) -> SeriesDescription:
        fields = Fields(data, "series")
        return cls(
            asset_id=fields.text("asset_id"),
            asset_name=fields.text("asset_name", ""),
            asset_class=fields.text("asset_class", ""),
            measurement=fields.text("measurement"),
            field=fields.text("field"),
            unit=fields.text("unit", "-"),
            points=fields.integer("points"),
        )


class Severity(enum.StrEnum):
    """Severity of an :class:`AssetMessage`, as in the OMOTES SDK's ``EsdlMessage``."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class AssetMessage:
    """A message about one ESDL object (the whole energy system when ``esdl_object_id`` is
    None); ``count`` folds repeats, such as the same warning at many time steps."""

    severity: Severity  # text ("warning") is accepted and made a Severity
    message: str
    esdl_object_id: str | None = None
    count: int = 1

    def __post_init__(self) -> None:
        what = "asset message"
        try:
            set_field(self, "severity", Severity(self.severity))
        except ValueError:
            known = ", ".join(s.value for s in Severity)
            raise ProtocolError(
                f"{what}: unknown severity {short(self.severity)} (known: {known})"
            ) from None
        check_text(self.message, what, "message")
        check(
            self.esdl_object_id is None or isinstance(self.esdl_object_id, str),
            what,
            "esdl_object_id must be text",
        )
        check(is_int(self.count) and self.count >= 1, what, "count must be at least 1")

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "message": self.message,
            "esdl_object_id": self.esdl_object_id,
            "count": self.count,
        }

    @classmethod
    def from_dict(cls, data: Any) -> AssetMessage:
        fields = Fields(data, "asset message")
        return cls(
            severity=fields.text("severity"),
            message=fields.text("message"),
            esdl_object_id=fields.text("esdl_object_id", None),
            count=fields.integer("count", 1),
        )


@dataclass(frozen=True)
class Kpi:
    """A key performance indicator of a job's outcome, for KPI tables and comparisons."""

    key: str  # stable identifier, e.g. "heat_delivered"
    name: str  # what a user reads, e.g. "Heat delivered"
    value: float  # finite: JSON (and PostgreSQL's jsonb) has no NaN or infinity
    unit: str  # e.g. "MWh", "MW", "h", "%"

    def __post_init__(self) -> None:
        what = f"KPI {self.key!r}"
        check_text(self.key, what, "key", allow_empty=False)
        check_text(self.name, what, "name")
        check_text(self.unit, what, "unit")
        check(is_number(self.value) and math.isfinite(self.value), what, "value must be finite")

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "value": self.value, "unit": self.unit}

    @classmethod
    def from_dict(cls, data: Any) -> Kpi:
        fields = Fields(data, "KPI")
        return cls(
            key=fields.text("key"),
            name=fields.text("name", ""),
            value=fields.number("value"),
            unit=fields.text("unit", ""),
        )
