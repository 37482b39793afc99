"""A plug-in as a third party would write it: the frontend learns of it only from the worker."""

from __future__ import annotations

from typing import Any

from omotes.protocol import ParameterSpec, ParameterType
from omotes.workflows.base import JobContext, WorkflowResult


class Echo:
    name = "echo"
    version = "0.1"
    title = "Echo"
    description = "Returns the ESDL it was given, with a note in the log."
    parameters = (
        ParameterSpec("note", ParameterType.STRING, "Note", "Any text", "hello"),
        ParameterSpec("level", ParameterType.STRING, "Level", options=("info", "warning")),
    )
    default_time_limit_s = 30

    def run(self, esdl: str, params: dict[str, Any], context: JobContext) -> WorkflowResult:
        context.progress(1.0, str(params.get("note")))
        return WorkflowResult(output_esdl=esdl)


workflow = Echo()
