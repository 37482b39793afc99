"""The plug-in interface every workflow implements.

A workflow runs in a child process of the worker (see :mod:`omotes.worker.runner`), so ``run`` may
use as much memory as it likes, may be killed at any moment (time limit, cancel), and must not rely
on state kept between jobs. It reports progress through ``context.progress`` and returns the
output ESDL and a description of the time series it wrote.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import esdl
from esdl.esdl_handler import EnergySystemHandler

from omotes.influx import InfluxSettings
from omotes.protocol import ParameterSpec, WorkflowDescription


class WorkflowError(Exception):
    """A job failed for a reason the user can act on; the message is shown to them as is."""


@dataclass(frozen=True)
class SeriesDescription:
    """One output time series a workflow wrote to the job's InfluxDB database.

    The frontend lists these to let a user pick an asset and a quantity, and reads the values with
    ``SELECT "<field>" FROM "<measurement>" WHERE "asset_id" = '<asset_id>'``.
    """

    asset_id: str
    asset_name: str
    asset_class: str
    measurement: str
    field: str
    unit: str
    points: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class AssetMessage:
    """A message about one ESDL object, with a severity (as in the OMOTES SDK)."""

    severity: str  # "debug" | "info" | "warning" | "error"
    message: str
    esdl_object_id: str | None = None
    count: int = 1


@dataclass(frozen=True)
class Kpi:
    """A key performance indicator of a job's outcome, for KPI tables and comparisons."""

    key: str  # stable identifier, e.g. "heat_delivered"
    name: str  # what a user reads, e.g. "Heat delivered"
    value: float
    unit: str  # e.g. "MWh", "MW", "h", "%"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class JobContext:
    """What a running job gets from the worker besides its ESDL and parameters."""

    job_id: uuid.UUID
    influx: InfluxSettings
    workdir: Path
    progress: Callable[..., None]  # (fraction 0..1, message) - a sequence adds its step name

    @property
    def database(self) -> str:
        """The job's own InfluxDB database; the frontend drops it when the job is deleted."""
        return job_database(self.job_id)


@dataclass
class WorkflowResult:
    output_esdl: str
    series: list[SeriesDescription] = field(default_factory=list)
    messages: list[AssetMessage] = field(default_factory=list)
    kpis: list[Kpi] = field(default_factory=list)


class Workflow(Protocol):
    """A type of calculation a worker can offer."""

    name: str
    version: str
    title: str
    description: str
    parameters: tuple[ParameterSpec, ...]
    default_time_limit_s: int

    def run(self, esdl: str, params: dict[str, Any], context: JobContext) -> WorkflowResult: ...


def describe(workflow: Workflow) -> WorkflowDescription:
    return WorkflowDescription(
        name=workflow.name,
        version=workflow.version,
        title=workflow.title,
        description=workflow.description,
        parameters=workflow.parameters,
        default_time_limit_s=workflow.default_time_limit_s,
    )


def job_database(job_id: uuid.UUID) -> str:
    return f"job_{job_id.hex}"


def load_esdl(text: str) -> tuple[EnergySystemHandler, esdl.EnergySystem]:
    """Parse a job's ESDL; a workflow's user sees a clear error instead of a traceback."""
    handler = EnergySystemHandler()
    try:
        return handler, handler.load_from_string(text)
    except Exception as exc:
        raise WorkflowError(f"The ESDL could not be read: {exc}") from exc
