"""Workflows that chain others: the output ESDL of one step is the input of the next (R29).

A sequence runs its steps one after the other in the same child process and job database, so a
KPI step finds the series the simulation step wrote. Progress is spread over the steps, and each
progress report names the step that runs, which the job page shows. A step whose workflow does
not import in this venv (the simulator in the optimiser's) runs in the peer venv named by
``OMOTES_PEER_PYTHON`` (:mod:`omotes.workflows.peer`), still within the same job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omotes.protocol import ParameterSpec
from omotes.workflows import registry
from omotes.workflows.base import JobContext, Workflow, WorkflowResult
from omotes.workflows.peer import PeerWorkflow, peer_python


@dataclass
class Sequence:
    name: str
    title: str
    description: str
    steps: tuple[str, ...]  # workflow names or module:attribute references
    version: str = "1.0"
    # The workflow whose run times this sequence's share (its heavy step), see
    # WorkflowDescription.runtime_family; empty: a family of its own.
    runtime_family: str = ""
    _loaded: list[Workflow] | None = field(default=None, init=False, repr=False, compare=False)

    def _workflows(self) -> list[Workflow]:
        if self._loaded is None:
            self._loaded = [_load_step(step) for step in self.steps]
        return self._loaded

    @property
    def parameters(self) -> tuple[ParameterSpec, ...]:
        """The steps' parameters; a key shared by two steps is one parameter for both."""
        seen: dict[str, ParameterSpec] = {}
        for workflow in self._workflows():
            for spec in workflow.parameters:
                seen.setdefault(spec.key, spec)
        return tuple(seen.values())

    @property
    def step_names(self) -> tuple[str, ...]:
        """The steps' workflow names, in order (announced: see WorkflowDescription.steps)."""
        return tuple(workflow.name for workflow in self._workflows())

    @property
    def supported_asset_types(self) -> tuple[str, ...]:
        """The asset types every step that declares types takes: a later step runs on the
        earlier one's output, which keeps the model's assets (the optimiser sizes them, the
        simulator then simulates them), so a type one step cannot take fails the job there."""
        declared = [
            set(types)
            for workflow in self._workflows()
            if (types := getattr(workflow, "supported_asset_types", ()))
        ]
        return tuple(sorted(set.intersection(*declared))) if declared else ()

    @property
    def runtime_prior(self) -> dict[str, float]:
        """The steps' priors added up (a step without one adds nothing)."""
        total: dict[str, float] = {}
        for workflow in self._workflows():
            for key, value in getattr(workflow, "runtime_prior", {}).items():
                total[key] = total.get(key, 0.0) + value
        return total

    @property
    def time_limit_advice(self) -> str:
        """The steps' advice for a job that runs out of time, each once."""
        advice = (getattr(workflow, "time_limit_advice", "") for workflow in self._workflows())
        return " ".join(dict.fromkeys(text for text in advice if text))

    @property
    def default_time_limit_s(self) -> int:
        return sum(workflow.default_time_limit_s for workflow in self._workflows())

    def prepare(self) -> None:
        """Prepare each step that can be prepared (see :class:`Workflow`)."""
        for workflow in self._workflows():
            prepare = getattr(workflow, "prepare", None)
            if prepare is not None:
                prepare()

    def run(self, esdl: str, params: dict[str, Any], context: JobContext) -> WorkflowResult:
        workflows = self._workflows()
        combined = WorkflowResult(output_esdl=esdl)
        for index, workflow in enumerate(workflows):
            step = f"{index + 1}/{len(workflows)} {workflow.title}"

            def progress(fraction: float, message: str, *_: Any, index=index, step=step) -> None:
                context.progress((index + fraction) / len(workflows), message, step)

            keys = {spec.key for spec in workflow.parameters}
            step_context = JobContext(context.job_id, context.influx, context.workdir, progress)
            progress(0.0, "starting")
            result = workflow.run(
                combined.output_esdl,
                {key: value for key, value in params.items() if key in keys},
                step_context,
            )
            combined.output_esdl = result.output_esdl
            combined.series.extend(result.series)
            combined.messages.extend(result.messages)
            combined.kpis.extend(result.kpis)
        return combined


def _load_step(step: str) -> Workflow:
    """The step's workflow here, or in the peer venv when it does not import here."""
    try:
        return registry.load(step)
    except registry.UnknownWorkflow:
        python = peer_python()
        if python is None:
            raise
        return PeerWorkflow(step, python)


simulate_and_kpis = Sequence(
    name="simulate_kpis",
    title="Simulation and KPIs",
    description="Simulates the heat network, then computes its key performance indicators.",
    steps=("simulator", "kpis"),
    runtime_family="simulator",
)
