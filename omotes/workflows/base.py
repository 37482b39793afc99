"""The plug-in interface every workflow implements.

A workflow runs in a child process of the worker (see :mod:`omotes.worker.child`), so ``run`` may
use as much memory as it likes, may be killed at any moment (time limit, cancel), and must not rely
on state kept between jobs. It reports progress through ``context.progress`` and returns a
:class:`WorkflowResult`: the output ESDL, the time series it wrote to ``context.database``,
messages per ESDL object and KPIs (the parts are types of :mod:`omotes.protocol`, because they
travel to the frontend as they are). It raises :class:`omotes.protocol.WorkflowError` for a
failure the user can act on.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from omotes.influx import InfluxSettings
from omotes.protocol import (
    AssetMessage,
    Kpi,
    ParameterSpec,
    SeriesDescription,
    WorkflowDescription,
    WorkflowError,
    job_database,
)

if TYPE_CHECKING:
    import esdl
    from esdl.esdl_handler import EnergySystemHandler


@dataclass
class JobContext:
    """What a running job gets from the worker besides its ESDL and parameters."""

    job_id: uuid.UUID
    influx: InfluxSettings
    workdir: Path
    progress: Callable[..., None]  # (fraction 0..1, message); a sequence adds its step's name

    @property
    def database(self) -> str:
        """The job's own InfluxDB database; the frontend drops it when the job is deleted."""
        return job_database(self.job_id)


@dataclass
class WorkflowResult:
    """What ``run`` returns; the worker sends it to the frontend as the job's result."""

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
    # Optional: {"overhead_s", "per_asset_s", "per_asset_step_s"}, see WorkflowDescription.
    runtime_prior: dict[str, float]
    # Optional: the workflow whose run time this one shares (see WorkflowDescription).
    runtime_family: str
    # Optional: a method ``prepare() -> None`` that does in a job process, before its job
    # arrives, the work every run starts with (importing the model library), so the job does
    # not wait for it. It runs in the child only; a failure there is ignored (the job's own
    # run meets it again and reports it).
    # Optional: what a user can do when a job runs out of its time limit (added to the error).
    time_limit_advice: str

    def run(self, esdl: str, params: dict[str, Any], context: JobContext) -> WorkflowResult: ...


def describe(workflow: Workflow) -> WorkflowDescription:
    return WorkflowDescription(
        name=workflow.name,
        version=workflow.version,
        title=workflow.title,
        description=workflow.description,
        parameters=workflow.parameters,
        default_time_limit_s=workflow.default_time_limit_s,
        supported_asset_types=tuple(getattr(workflow, "supported_asset_types", ())),
        runtime_prior=getattr(workflow, "runtime_prior", {}),
        runtime_family=getattr(workflow, "runtime_family", ""),
        steps=tuple(getattr(workflow, "step_names", ())),
    )


def load_esdl(text: str) -> tuple[EnergySystemHandler, esdl.EnergySystem]:
    """Parse a job's ESDL; a workflow's user sees a clear error instead of a traceback.

    pyesdl is imported here, not with this module: it takes 0.4 s of CPU, and every job process
    imports this module, also for workflows that never read an ESDL."""
    from esdl.esdl_handler import EnergySystemHandler

    handler = EnergySystemHandler()
    try:
        return handler, handler.load_from_string(text)
    except Exception as exc:
        raise WorkflowError(f"The ESDL could not be read: {exc}") from exc
