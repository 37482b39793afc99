"""Finding workflow plug-ins by name.

A workflow is named on the worker's command line either by its registered name, an entry point in
the group ``omotes.workflows`` (the built-in ones are declared in ``omotes/pyproject.toml``, a
plug-in package declares its own), or directly as ``module:attribute``, which is how a plug-in
under development, or the example in the tests, is started. Entry points are read from the
installed distributions' metadata, so a name is found only once its package is installed
(``pip install -e ./omotes`` for the built-in ones).

A worker started without names offers :func:`available`: every installed workflow that loads in
its venv. A workflow's module imports its model library at the top, so the optimiser is offered
by a worker of the optimiser's venv and the simulator by one of the simulator's, with no list.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from omotes.workflows.base import Workflow, describe

ENTRY_POINT_GROUP = "omotes.workflows"


class UnknownWorkflow(LookupError):
    pass


def reference_for(name: str) -> str:
    """The ``module:attribute`` reference of a workflow name (or the reference itself)."""
    if ":" in name:
        return name
    for entry in entry_points(group=ENTRY_POINT_GROUP, name=name):
        return entry.value
    installed = sorted({entry.name for entry in entry_points(group=ENTRY_POINT_GROUP)})
    raise UnknownWorkflow(
        f"no workflow plug-in named {name!r}; installed: {', '.join(installed) or 'none'} "
        "(is the omotes package installed? pip install -e ./omotes)"
    )


def load(reference: str) -> Workflow:
    module_name, _, attribute = reference_for(reference).partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise UnknownWorkflow(f"cannot load workflow {reference!r}: {exc}") from exc


def available() -> list[str]:
    """The installed workflow names that load here (and can describe themselves), sorted."""
    names = []
    for name in sorted({entry.name for entry in entry_points(group=ENTRY_POINT_GROUP)}):
        try:
            describe(load(name))
        except UnknownWorkflow:
            continue
        names.append(name)
    return names
