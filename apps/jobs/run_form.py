"""The run form on a model's page: every workflow, prefilled from the model, with reasons (R19).

Each parameter shows the value the job would use and where it came from (the model, the
workflow's default, a job run again); a workflow that cannot run on this model is listed,
disabled, with the reason. When a submit is refused the form comes back with the user's values
and each error next to its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from apps.jobs import preflight
from apps.jobs.defaults import Derived, ModelFacts, derived_values
from apps.jobs.models import Job
from apps.jobs.workflows import known_workflows
from apps.models.models import EsdlModel
from apps.sharing.access import visible_to
from omotes.protocol import ParameterSpec, ParameterType, WorkflowDescription

#: The workflow a user most likely wants for a heat network, first found first.
PREFERRED_WORKFLOWS = ("simulate_kpis", "simulator")
NO_WORKER = "no live worker offers it right now"
#: The form's field names: ``param__<workflow>__<key>``.
PARAM_PREFIX = "param__"


@dataclass
class ParameterField:
    spec: ParameterSpec
    name: str
    value: str
    source: str
    error: str = ""

    @property
    def input_type(self) -> str:
        if self.spec.type == ParameterType.DATETIME:
            return "datetime-local"
        if self.spec.type in (ParameterType.INT, ParameterType.FLOAT, ParameterType.DURATION):
            return "number"
        return "text"

    @property
    def step(self) -> str:
        return "any" if self.spec.type == ParameterType.FLOAT else "1"


@dataclass
class WorkflowChoice:
    description: WorkflowDescription
    unavailable_reason: str = ""
    fields: list[ParameterField] = field(default_factory=list)
    selected: bool = False

    @property
    def name(self) -> str:
        return self.description.name

    @property
    def available(self) -> bool:
        return not self.unavailable_reason


@dataclass
class RunForm:
    choices: list[WorkflowChoice]
    errors: list[str] = field(default_factory=list)  # not about one field

    @property
    def available(self) -> list[WorkflowChoice]:
        return [c for c in self.choices if c.available]

    @property
    def unavailable(self) -> list[WorkflowChoice]:
        return [c for c in self.choices if not c.available]


def form_value(spec: ParameterSpec, value: Any) -> str:
    """A parameter's value as its form field shows it (a datetime in UTC, to the minute)."""
    if value is None:
        return ""
    if spec.type == ParameterType.DATETIME:
        moment = datetime.fromisoformat(str(value))
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M")
    if spec.type == ParameterType.BOOL:
        return "true" if value else "false"
    return str(value)


def unavailable_reasons(esdl_model: EsdlModel, known: list) -> dict[str, str]:
    """Why a workflow cannot run on this model now, by workflow name (absent: it can): no live
    worker offers it, or its pre-flight check refuses the model (naming the assets)."""
    offered = [description for description, entry in known if entry is not None]
    return {
        **preflight.unavailable_reasons(esdl_model, offered),
        **{description.name: NO_WORKER for description, entry in known if entry is None},
    }


def default_workflow(choices: list[WorkflowChoice]) -> str | None:
    available = [c.name for c in choices if c.available]
    for name in PREFERRED_WORKFLOWS:
        if name in available:
            return name
    return available[0] if available else None


def build_run_form(
    esdl_model: EsdlModel,
    *,
    workflow: str | None = None,
    posted: Mapping[str, str] | None = None,
    error: ValidationError | None = None,
    rerun: Job | None = None,
    known: list | None = None,
) -> RunForm:
    """The form for ``esdl_model``; ``posted`` (the fields of ``workflow`` as submitted) and
    ``error`` after a refused submit, ``rerun`` to start from a job's parameters. ``known``:
    :func:`~apps.jobs.workflows.known_workflows` when the caller has it already (the model page
    asks once per request)."""
    known = known_workflows() if known is None else known
    reasons = unavailable_reasons(esdl_model, known)
    facts = ModelFacts.of(esdl_model)
    errors_by_key = _errors_by_key(error)
    if rerun is not None and workflow is None:
        workflow = rerun.workflow
    choices = []
    for description, _ in known:
        choice = WorkflowChoice(description, reasons.get(description.name, ""))
        if choice.available:
            derived = derived_values(description, facts)
            choice.fields = [
                _field(spec, derived[spec.key], choice.name, posted, errors_by_key, rerun)
                for spec in description.parameters
            ]
        choices.append(choice)
    chosen = workflow if workflow in {c.name for c in choices if c.available} else None
    chosen = chosen or default_workflow(choices)
    for choice in choices:
        choice.selected = choice.name == chosen
    return RunForm(choices, errors_by_key.get(NON_FIELD_ERRORS, []))


def _field(
    spec: ParameterSpec,
    derived: Derived,
    workflow: str,
    posted: Mapping[str, str] | None,
    errors: Mapping[str, list[str]],
    rerun: Job | None,
) -> ParameterField:
    name = f"{PARAM_PREFIX}{workflow}__{spec.key}"
    error = " ".join(errors.get(spec.key, [])) if posted is not None else ""
    if posted is not None and spec.key in posted:
        return ParameterField(spec, name, posted[spec.key], "", error)
    if rerun is not None and rerun.workflow == workflow and spec.key in rerun.params:
        source = f"as in job {str(rerun.pk)[:8]}"
        return ParameterField(spec, name, form_value(spec, rerun.params[spec.key]), source)
    return ParameterField(spec, name, form_value(spec, derived.value), derived.source, error)


def _errors_by_key(error: ValidationError | None) -> dict[str, list[str]]:
    if error is None:
        return {}
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {NON_FIELD_ERRORS: error.messages}


def posted_params(data: Mapping[str, str], workflow: str) -> dict[str, str]:
    """The submitted fields of ``workflow``, by parameter key (empty ones included)."""
    prefix = f"{PARAM_PREFIX}{workflow}__"
    return {
        key.removeprefix(prefix): value for key, value in data.items() if key.startswith(prefix)
    }


def rerun_job(user, esdl_model: EsdlModel, job_id: str) -> Job | None:
    """The job of this model to run again, if the user may see it; None for anything else."""
    try:
        return visible_to(user, Job).filter(esdl_model=esdl_model, pk=job_id).first()
    except (ValueError, ValidationError):  # not a UUID
        return None
