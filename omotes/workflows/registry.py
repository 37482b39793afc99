"""Finding workflow plug-ins by name.

A workflow is named on the worker's command line either by its registered name (an
``omotes.workflows`` entry point, or one of the built-ins below) or directly as
``module:attribute``, which is how a plug-in under development, or the example in the tests,
is started.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from omotes.workflows.base import Workflow

BUILT_IN = {
    "simulator": "omotes.workflows.simulator:workflow",
    "sleeper": "omotes.workflows.examples:sleeper",
    "synthetic": "omotes.workflows.synthetic:workflow",
    "kpis": "omotes.workflows.kpis:workflow",
    "simulate_kpis": "omotes.workflows.sequence:simulate_and_kpis",
}


class UnknownWorkflow(LookupError):
    pass


def reference_for(name: str) -> str:
    """The ``module:attribute`` reference of a workflow name (or the reference itself)."""
    if ":" in name:
        return name
    for entry in entry_points(group="omotes.workflows"):
        if entry.name == name:
            return entry.value
    if name in BUILT_IN:
        return BUILT_IN[name]
    raise UnknownWorkflow(f"no workflow plug-in named {name!r}")


def load(reference: str) -> Workflow:
    module_name, _, attribute = reference_for(reference).partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise UnknownWorkflow(f"cannot load workflow {reference!r}: {exc}") from exc
