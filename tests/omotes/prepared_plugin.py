"""A plug-in with a slow ``prepare`` (as importing a model library is): its result tells when
and in which process that preparation ran."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from omotes.workflows.base import JobContext, WorkflowResult

PREPARE_S = 1.0


class Prepared:
    name = "prepared"
    version = "0.1"
    title = "Prepared"
    description = "Reports when its preparation ran."
    parameters = ()
    default_time_limit_s = 30

    def __init__(self) -> None:
        self.prepared_at: float | None = None

    def prepare(self) -> None:
        time.sleep(PREPARE_S)
        self.prepared_at = time.time()

    def run(self, esdl: str, params: dict[str, Any], context: JobContext) -> WorkflowResult:
        report = {"prepared_at": self.prepared_at, "pid": os.getpid()}
        return WorkflowResult(output_esdl=json.dumps(report))


workflow = Prepared()
