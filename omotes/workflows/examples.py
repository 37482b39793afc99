"""``sleeper``: a small workflow that loads the worker pool in tests and benchmarks.

It waits ``duration_s`` seconds in steps, reporting progress, then writes one short
series to the job's database, so it exercises the whole path (progress, results, time limit,
cancellation) in a fraction of a real model's time.
"""

from __future__ import annotations

import time
from typing import Any

from omotes.influx import InfluxClient, encode_line
from omotes.protocol import ParameterSpec, ParameterType, SeriesDescription, WorkflowError
from omotes.workflows.base import JobContext, WorkflowResult

# One point per simulated hour of a day; stored under this asset.
POINTS = 24
ASSET_ID = "sleeper"


class Sleeper:
    name = "sleeper"
    version = "1.0"
    title = "Sleeper (test load)"
    description = "Waits, reports progress and writes one short series; for tests and benchmarks."
    parameters = (
        ParameterSpec(
            "duration_s", ParameterType.FLOAT, "Duration", "Seconds to wait", 1.0, 0.0, 3600.0
        ),
        ParameterSpec("fail", ParameterType.BOOL, "Fail", "End with an error instead", False),
    )
    default_time_limit_s = 600

    def run(self, esdl: str, params: dict[str, Any], context: JobContext) -> WorkflowResult:
        duration_s = float(params.get("duration_s") or 0.0)
        steps = max(1, int(duration_s / 0.2))
        for step in range(steps):
            time.sleep(duration_s / steps)
            context.progress((step + 1) / steps * 0.9, "sleeping")
        if params.get("fail"):
            raise WorkflowError("Failed on purpose (fail=true).")
        client = InfluxClient(context.influx)
        client.create_database(context.database)
        lines = [
            encode_line("Sleeper", {"asset_id": ASSET_ID}, {"value": float(hour)}, hour * 3600)
            for hour in range(POINTS)
        ]
        client.write_lines(context.database, lines)
        context.progress(1.0, "done")
        series = SeriesDescription(ASSET_ID, "Sleeper", "Sleeper", "Sleeper", "value", "-", POINTS)
        return WorkflowResult(output_esdl=esdl, series=[series])


sleeper = Sleeper()
