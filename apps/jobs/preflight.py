"""Which workflows can run a model, asked at upload (the model page) and again at submit.

The checks themselves are pure (:func:`omotes.preflight.check_model`: the asset types a workflow
declares, connected ports, a workflow's own needs); added here is what only the product knows:
whether every pipe that names only a DN size can be resolved from the model's pipe catalogue or
ours (:class:`apps.models.models.PipeType`), because a job must never fetch one from outside. A
refusal at submit is :class:`ModelCannotRun` (422 in the API, listing the assets); the model
page and the run form read :func:`workflow_readiness` and :func:`unavailable_reasons`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_intake import EsdlRejected
from apps.models.models import EsdlModel, PipeType
from apps.models.pipe_catalogue import PipeSpec, describe_size
from apps.profiles.binding import bind_standard_demands
from omotes.preflight import (
    NO_DEMAND_PROFILE,
    AssetProblem,
    check_model,
    checked_as,
    problem_for,
    unconnected_ports,
)
from omotes.protocol import WorkflowDescription


class ModelCannotRun(ValidationError):
    """A workflow cannot run the model; ``asset_problems`` name each asset (422 in the API)."""

    def __init__(self, workflow: str, problems: list[AssetProblem]) -> None:
        self.asset_problems = [problem.to_dict() for problem in problems]
        super().__init__(
            [
                ValidationError(f"{workflow} cannot run this model: {problem}", "unprocessable")
                for problem in problems
            ]
        )


def pipe_catalogue() -> dict[str, PipeSpec]:
    """Our pipe catalogue as the operator keeps it (admin, ``load_pipe_catalogue``)."""
    return {pipe.name: pipe.as_spec() for pipe in PipeType.objects.all()}


def pipe_problems(
    document: EsdlDocument, catalogue: dict[str, PipeSpec] | None = None
) -> list[AssetProblem]:
    """Network pipes that name only a DN size neither the model's catalogue nor ours holds."""
    catalogue = pipe_catalogue() if catalogue is None else catalogue
    return [
        problem_for(
            pipe,
            f"names only its size {describe_size(name)}, which neither the model's pipe "
            "catalogue nor ours holds",
            "set its innerDiameter, or ask an administrator to add the size to the catalogue",
        )
        for pipe, name in document.unresolvable_pipes(catalogue)
    ]


def preflight(
    document: EsdlDocument,
    description: WorkflowDescription,
    catalogue: dict[str, PipeSpec] | None = None,
) -> list[AssetProblem]:
    """Every reason ``description``'s workflow cannot run ``document``; empty when it can. A
    consumer without a demand profile is no reason: the product binds a standard one to it
    (:meth:`~apps.models.esdl_document.EsdlDocument.consumers_without_profile`)."""
    served = {str(asset.id) for asset, _ in document.consumers_without_profile()}
    return [
        *pipe_problems(document, catalogue),
        *(
            problem
            for problem in check_model(description, document.energy_system)
            if not (problem.code == NO_DEMAND_PROFILE and problem.asset_id in served)
        ),
    ]


def upload_checks(
    document: EsdlDocument, descriptions: list[WorkflowDescription]
) -> dict[str, Any]:
    """What the summary of a new model records: the ports connected to nothing (a warning at
    upload, naming the assets) and, per workflow known now, its pre-flight problems."""
    catalogue = pipe_catalogue()
    return {
        "connectivity_warnings": [p.to_dict() for p in unconnected_ports(document.energy_system)],
        "preflight": {
            d.name: {
                "version": checked_as(d),
                "problems": [p.to_dict() for p in preflight(document, d, catalogue)],
            }
            for d in descriptions
        },
    }


def workflow_readiness(
    esdl_model: EsdlModel, descriptions: list[WorkflowDescription]
) -> list[dict[str, Any]]:
    """Per workflow: ``{name, title, can_run, problems}``, from the model's summary where it was
    checked for that version, asset types and rules (:func:`~omotes.preflight.checked_as`) at
    upload, else checked now (parsing the model once) and kept."""
    stored = esdl_model.summary.setdefault("preflight", {})
    missing = [d for d in descriptions if stored.get(d.name, {}).get("version") != checked_as(d)]
    if missing:
        try:
            document = EsdlDocument(esdl_model.esdl)
        except EsdlRejected as exc:  # a model stored under older rules
            problems = [AssetProblem("", "", str(exc)).to_dict()]
            stored.update(
                {d.name: {"version": checked_as(d), "problems": problems} for d in missing}
            )
        else:
            stored.update(upload_checks(document, missing)["preflight"])
        EsdlModel.objects.filter(pk=esdl_model.pk).update(summary=esdl_model.summary)
    return [
        {
            "name": d.name,
            "title": d.title or d.name,
            "can_run": not stored[d.name]["problems"],
            "problems": stored[d.name]["problems"],
        }
        for d in descriptions
    ]


def unavailable_reasons(
    esdl_model: EsdlModel, descriptions: list[WorkflowDescription]
) -> dict[str, str]:
    """Why the run form should not offer each of these workflows for this model (one line,
    naming the first assets), by workflow name; absent where the pre-flight check passes."""
    reasons = {}
    for readiness in workflow_readiness(esdl_model, descriptions):
        problems = [AssetProblem.from_dict(p) for p in readiness["problems"]]
        if problems:
            shown = "; ".join(str(p) for p in problems[:3])
            more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
            reasons[readiness["name"]] = f"{shown}{more}"
    return reasons


def check_before_submit(
    esdl_model: EsdlModel, description: WorkflowDescription, document: EsdlDocument
) -> None:
    """Raise :class:`ModelCannotRun` naming the assets when the workflow cannot run the model;
    bind standard demand profiles to its consumers without one when the workflow needs them."""
    problems = preflight(document, description)
    if problems:
        raise ModelCannotRun(description.title or description.name, problems)
    needed = check_model(description, document.energy_system)
    if any(problem.code == NO_DEMAND_PROFILE for problem in needed):
        bind_standard_demands(esdl_model, document)
