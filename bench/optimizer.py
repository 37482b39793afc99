"""How long the optimiser (mesido end-scenario sizing) takes on generated networks.

Run with the optimiser's venv: ``.venv-optimizer/bin/python bench/optimizer.py --assets 10 25
100 400 --time-limit 1800``. For each size it generates a network (omotes.esdl_generator: one
producer per 250 assets, heating demands with hourly profiles for a year), makes producers
and pipes optional, producers with costs (:func:`sizing_problem`), so the optimiser sizes both,
writes the demand shapes to a scratch InfluxDB database, and runs the workflow in a child
process exactly as a worker does (:func:`omotes.worker.child.run_in_child`, with the time
limit). Prints one JSON line (each run also on stderr as it ends) and appends it to
``bench/results/optimizer.jsonl``: per run the wall time, outcome (ok / time limit / error), the
children's peak memory, the last progress message and how many pipes got another DN.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import esdl
from esdl.esdl_handler import EnergySystemHandler

from omotes.esdl_generator import InputProfile, cost_value, network_text
from omotes.influx import InfluxClient, InfluxSettings
from omotes.protocol import job_database
from omotes.worker.child import run_in_child

RESULTS = Path(__file__).resolve().parent / "results"
DATABASE = "bench_optimizer_profiles"
START = datetime(2019, 1, 1, tzinfo=UTC)
HOURS = 8760


def write_profiles(client: InfluxClient, profile: InputProfile) -> None:
    """Five demand shapes (peak 0.98): winter-heavy with a daily cycle, phase-shifted."""
    client.create_database(profile.database)
    measurement = profile.measurement.replace(" ", "\\ ")
    lines = []
    for hour in range(HOURS):
        stamp = int((profile.start + timedelta(hours=hour)).timestamp())
        # Peak 0.98, not 1: a profile a rounding error above the demand's power is refused.
        season = 0.98 * (0.55 + 0.45 * math.cos(2 * math.pi * hour / HOURS))
        values = ",".join(
            f"{profile.field(k)}="
            f"{season * (0.75 + 0.25 * math.sin(2 * math.pi * (hour + 3 * k) / 24)):.4f}"
            for k in range(profile.fields)
        )
        lines.append(f"{measurement} {values} {stamp}")
    client.write_lines(profile.database, lines)


def sizing_problem(esdl_text: str) -> str:
    """The generated network as a design question: producers optional (to be sized), alternately
    cheap and dear to run, and pipes optional (sized up to their generated DN)."""
    handler = EnergySystemHandler()
    energy_system = handler.load_from_string(esdl_text)
    producers = 0
    for asset in energy_system.eAllContents():
        if isinstance(asset, esdl.Pipe):
            asset.state = esdl.AssetStateEnum.OPTIONAL
        if isinstance(asset, (esdl.GenericProducer, esdl.ResidualHeatSource)):
            asset.state = esdl.AssetStateEnum.OPTIONAL
            asset.costInformation = esdl.CostInformation(
                id=str(uuid.uuid4()),
                investmentCosts=cost_value(100.0, "KILO", "WATT"),
                variableOperationalCosts=cost_value(
                    20.0 + 40.0 * (producers % 2), "MEGA", "WATTHOUR"
                ),
            )
            producers += 1
    return handler.to_string()


def run_one(assets: int, workflow: str, time_limit_s: float, sizing: bool) -> dict:
    profile = InputProfile(database=DATABASE, start=START, end=START + timedelta(hours=HOURS - 1))
    esdl_text = network_text(assets, profile=profile)
    if sizing:
        esdl_text = sizing_problem(esdl_text)
    job_id = uuid.uuid4()
    last = {"message": ""}

    def progress(fraction: float, message: str, step: str = "") -> None:
        last["message"] = f"{fraction:.2f} {message}"

    started = time.monotonic()
    outcome = run_in_child(
        f"omotes.workflows.optimizer:{workflow}",
        job_id,
        esdl_text,
        {},
        InfluxSettings.from_env(),
        time_limit_s,
        progress,
    )
    seconds = time.monotonic() - started
    InfluxClient(InfluxSettings.from_env()).drop_database(job_database(job_id))
    if outcome.result is not None:
        state = "ok"
    elif outcome.error and outcome.error.startswith("Time limit"):
        state = "time limit"
    else:
        state = "error"
    return {
        "assets": assets,
        "workflow": workflow,
        "sizing": sizing,
        "hours": HOURS,
        "outcome": state,
        "error": (outcome.error or "")[:300],
        "seconds": round(seconds, 1),
        "time_limit_s": time_limit_s,
        "children_peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
        "last_progress": last["message"],
        "series": len(outcome.result.series) if outcome.result else 0,
        "pipes_resized": _pipes_resized(esdl_text, outcome.result.output_esdl)
        if outcome.result
        else 0,
    }


def _pipes_resized(before: str, after: str) -> int:
    """How many pipes the optimiser gave another nominal size than the model's (or removed)."""

    def sizes(text: str) -> dict[str, str]:
        energy_system = EnergySystemHandler().load_from_string(text)
        return {
            p.id: p.diameter.name for p in energy_system.eAllContents() if isinstance(p, esdl.Pipe)
        }

    sized = sizes(after)
    return sum(sized.get(pipe_id) != size for pipe_id, size in sizes(before).items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, nargs="+", default=[10, 25, 100])
    parser.add_argument(
        "--workflow", default="optimizer", choices=["optimizer", "optimizer_no_heat_losses"]
    )
    parser.add_argument("--time-limit", type=float, default=1800.0, help="seconds per run")
    parser.add_argument(
        "--no-sizing",
        action="store_true",
        help="the generated network as it is (producers without costs: trivial)",
    )
    args = parser.parse_args(argv)
    # One JSON line on stdout: HiGHS (in the job's process) writes its log to stdout too.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    client = InfluxClient(InfluxSettings.from_env())
    write_profiles(client, InputProfile(database=DATABASE))
    runs = []
    try:
        for assets in args.assets:
            run = run_one(assets, args.workflow, args.time_limit, not args.no_sizing)
            print(json.dumps(run), file=sys.stderr, flush=True)
            runs.append(run)
    finally:
        client.drop_database(DATABASE)
    line = json.dumps({"at": datetime.now(UTC).isoformat(timespec="seconds"), "runs": runs})
    RESULTS.mkdir(exist_ok=True)
    with (RESULTS / "optimizer.jsonl").open("a") as results:
        results.write(line + "\n")
    out.write(line + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
