"""Plug-ins that misbehave as a workflow might on a model from the field."""

from __future__ import annotations

import urllib.request
from typing import Any

from omotes.workflows.base import JobContext, WorkflowResult


class Crash:
    """Fails with an exception it does not explain, deep in a calculation."""

    name = "crash"
    version = "0.1"
    title = "Crash"
    description = "Raises a ValueError."
    parameters = ()
    default_time_limit_s = 30

    def run(self, esdl: str, params: dict[str, Any], context: JobContext) -> WorkflowResult:
        raise ValueError("The number of in ports and out ports are not equal")


class Reach:
    """Tries to fetch something from the internet, as the simulator does for a DN-only pipe."""

    name = "reach"
    version = "0.1"
    title = "Reach"
    description = "Opens an outside URL."
    parameters = ()
    default_time_limit_s = 30

    def run(self, esdl: str, params: dict[str, Any], context: JobContext) -> WorkflowResult:
        urllib.request.urlopen(params.get("url", "https://edr.hesi.energy/api/edr/item"), timeout=5)
        return WorkflowResult(output_esdl=esdl)


crash = Crash()
reach = Reach()
