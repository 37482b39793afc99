"""How good is the runtime estimate (R18)? Real jobs of varied sizes on a running instance.

Why: the run form promises "about 3 min"; this measures how far that figure is from what jobs
then take, and whether it improves as the history grows. For each of ``--jobs`` jobs (generated
heat networks of 10 to 600 assets, periods of days to a year, time steps of 15 min to a day,
the ``simulator`` and ``simulate_kpis`` workflows, in a shuffled but seeded order) it asks the
instance for the estimate (``POST /api/jobs/estimate/``, learned from the jobs before it),
submits the job, waits for it, and compares the estimate with the measured run time (the job's
``finished_at - started_at``). Jobs run one at a time, so each estimate has all earlier jobs to
learn from and no job waits behind another of the run.

Usage (the instance's web server, events consumer, dispatcher, profile binder and a simulator
worker running; see bench/e2e.py for the credentials)::

    DT_TOKEN=<API token> python bench/estimate.py [--jobs 20] [--seed 0]
        [--url http://127.0.0.1:8000] [--max-work 3000000] [--timeout 1800] [--assets 10,25,...]

Output: one JSON line on stdout, also appended to ``bench/results/estimate.jsonl``::

    {"jobs": 20, "mape": 0.21, "mape_first_half": 0.3, "mape_second_half": 0.12, "failed": 0,
     "runs": [{"workflow": ..., "assets": ..., "steps": ..., "estimate_s": ..., "measured_s":
     ..., "contention_before": ..., "run_contention": ..., "load_before": ..., "load_after":
     ..., "error": ...}, ...], "seconds": ..., "at": ...}

``mape`` is the mean of |estimate - measured| / measured over the jobs that succeeded, the
halves over the first and second half of them in run order. ``--max-work`` (assets x time
steps per job) keeps a run to about fifteen to twenty minutes on a quiet 2-core host: each job
takes a network size first (every size is drawn as often), then a period and step that fit the
cap, so big networks run shorter periods or coarser steps and small ones up to a year hourly.
The machine's load counts in every measured time, so each job carries the load average at its
estimate and at its end (``load_before``, ``load_after``), the contention its worker announced
when it was estimated and the one its run met (``contention_before``, ``run_contention``: wall
over CPU seconds of the worker's probes, :mod:`omotes.worker.contention`), and the line the
load averages at start and end. ``bench/estimate_replay.py`` replays a recorded run with other
estimators (separate histories, pooled, normalised by contention or by load).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.e2e import Client, E2EError  # noqa: E402
from omotes.esdl_generator import network_text  # noqa: E402

RESULTS_FILE = Path(__file__).resolve().parent / "results" / "estimate.jsonl"
TERMINAL = {"succeeded", "failed", "cancelled"}
ASSETS = (10, 25, 50, 100, 200, 400, 600)
DAYS = (2, 7, 30, 90, 365)
STEPS_S = (900, 3600, 3 * 3600, 86400)
WORKFLOWS = ("simulator", "simulate_kpis")
PROFILE_YEAR = datetime(2019, 1, 1, tzinfo=UTC)
RETRY_S = 60.0  # the generator's profiles run through 2019


def plan(
    jobs: int, seed: int, max_work: float, sizes: tuple[int, ...] = ASSETS
) -> list[dict[str, Any]]:
    """``jobs`` varied (workflow, assets, period, step) combinations within ``max_work``:
    the sizes in turn (shuffled), each with a period drawn from those that fit it with some
    step, then one of those steps."""
    rng = random.Random(seed)
    chosen: list[dict[str, Any]] = []
    order = [sizes[i % len(sizes)] for i in range(jobs)]
    rng.shuffle(order)
    for assets in order:
        fitting = [
            (days, step_s)
            for days in DAYS
            for step_s in STEPS_S
            if 2 <= min(days, 364) * 86400 // step_s + 1
            and assets * (min(days, 364) * 86400 // step_s + 1) <= max_work
        ]
        if not fitting:
            continue
        days = rng.choice(sorted({days for days, _ in fitting}))  # long periods as often as short
        step_s = rng.choice([step_s for d, step_s in fitting if d == days])
        days = min(days, 364)
        chosen.append(
            {
                "workflow": rng.choice(WORKFLOWS),
                "assets": assets,
                "params": {
                    "start": PROFILE_YEAR.isoformat(),
                    "end": (PROFILE_YEAR + timedelta(days=days)).isoformat(),
                    "timestep_s": step_s,
                },
            }
        )
    return chosen


def upload_models(client: Client, sizes: set[int], timeout: float) -> dict[int, int]:
    """One generated network per size in a project of the run; model ids by size, bound."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    project = client.request("POST", "/api/projects/", json={"name": f"estimate bench {stamp}"})
    models = {}
    with tempfile.TemporaryDirectory() as scratch:
        for assets in sorted(sizes):
            path = Path(scratch) / f"network-{assets}.esdl"
            path.write_text(network_text(assets, assets))
            with path.open("rb") as fh:
                model = client.request(
                    "POST",
                    "/api/models/",
                    data={"project": str(project["id"]), "name": path.stem},
                    files={"file": (path.name, fh, "application/xml")},
                )
            models[assets] = model["id"]
    deadline = time.monotonic() + timeout
    for assets, model_id in models.items():
        while (model := client.request("GET", f"/api/models/{model_id}/"))[
            "profiles_status"
        ] != "ready":
            if model["profiles_status"] == "failed" or time.monotonic() > deadline:
                raise E2EError(f"profiles of the {assets}-asset model not bound: {model}")
            time.sleep(0.5)
    return models


def patiently(client: Client, method: str, path: str, **kwargs: Any) -> Any:
    """A request that changes nothing, tried again for a minute on a server error: on a shared
    host the database now and then refuses connections ("too many clients"), and one refused
    poll should not end a twenty-minute run."""
    deadline = time.monotonic() + RETRY_S
    while True:
        try:
            return client.request(method, path, **kwargs)
        except E2EError as exc:
            if not str(exc).startswith("HTTP 5") or time.monotonic() > deadline:
                raise
            print(f"retrying {method} {path}: {str(exc)[:120]}", file=sys.stderr, flush=True)
            time.sleep(2.0)


def run_one(client: Client, model_id: int, item: dict[str, Any], timeout: float) -> dict[str, Any]:
    body = {"model": model_id, "workflow": item["workflow"], "params": item["params"]}
    load_before = os.getloadavg()[0]
    estimated = patiently(client, "POST", "/api/jobs/estimate/", json=body)
    job = client.request("POST", "/api/jobs/", json=body)
    deadline = time.monotonic() + timeout
    while job["status"] not in TERMINAL:
        if time.monotonic() > deadline:
            client.request("POST", f"/api/jobs/{job['id']}/cancel/")
            break
        time.sleep(1.0)
        job = patiently(client, "GET", f"/api/jobs/{job['id']}/")
    load_after = os.getloadavg()[0]
    measured = None
    if job["status"] == "succeeded":
        started = datetime.fromisoformat(job["started_at"])
        measured = (datetime.fromisoformat(job["finished_at"]) - started).total_seconds()
    return {
        "workflow": item["workflow"],
        "assets": item["assets"],
        "steps": estimated["steps"],
        "timestep_s": item["params"]["timestep_s"],
        "estimate_s": estimated["estimate"]["seconds"],
        "low_s": estimated["estimate"]["low_s"],
        "high_s": estimated["estimate"]["high_s"],
        "learned_from": estimated["estimate"]["runs"],
        "speed": estimated["estimate"].get("speed"),
        "contention_before": estimated["estimate"].get("contention"),
        "run_contention": (job.get("history") or {}).get("run_contention"),
        "load_before": round(load_before, 2),
        "load_after": round(load_after, 2),
        "measured_s": measured,
        "status": job["status"],
        "error": (job.get("error") or "")[:200],
    }


def mape(runs: list[dict[str, Any]]) -> float | None:
    errors = [abs(r["estimate_s"] - r["measured_s"]) / r["measured_s"] for r in runs]
    return round(sum(errors) / len(errors), 3) if errors else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("DT_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--user", default=os.environ.get("DT_USER"))
    parser.add_argument("--password", default=os.environ.get("DT_PASSWORD"))
    parser.add_argument(
        "--token",
        default=os.environ.get("DT_TOKEN", ""),
        help="API token (use it: with a password the server checks its hash on every poll)",
    )
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-work", type=float, default=80_000, help="assets x time steps cap per job"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per job")
    parser.add_argument(
        "--assets",
        default=",".join(map(str, ASSETS)),
        help="network sizes to draw from (a busy machine takes minutes per 600-asset job)",
    )
    args = parser.parse_args(argv)
    began = time.monotonic()
    load_at_start = os.getloadavg()
    client = Client(args.url, args.user or "", args.password or "", args.token)
    sizes = tuple(int(n) for n in args.assets.split(","))
    items = plan(args.jobs, args.seed, args.max_work, sizes)
    runs: list[dict[str, Any]] = []
    result: dict[str, Any] = {"jobs": 0, "mape": None}
    try:
        models = upload_models(client, {item["assets"] for item in items}, args.timeout)
        for number, item in enumerate(items, 1):
            run = run_one(client, models[item["assets"]], item, args.timeout)
            runs.append(run)
            print(f"{number}/{len(items)} {json.dumps(run)}", file=sys.stderr, flush=True)
    except E2EError as exc:
        result["error"] = str(exc)
    except KeyboardInterrupt:  # Ctrl-C: the figure of the jobs done so far
        result["error"] = f"interrupted after {len(runs)} of {len(items)} jobs"
    done = [r for r in runs if r["measured_s"]]
    half = len(done) // 2
    result.update(
        jobs=len(done),
        mape=mape(done),
        mape_first_half=mape(done[:half]),
        mape_second_half=mape(done[half:]),
        failed=len(runs) - len(done),
        load_average=os.getloadavg()[0],
        load_at_start=[round(x, 2) for x in load_at_start],
        load_at_end=[round(x, 2) for x in os.getloadavg()],
        cpus=os.cpu_count(),
        runs=runs,
        seconds=round(time.monotonic() - began, 1),
        at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(result)
    with RESULTS_FILE.open("a") as out:
        out.write(line + "\n")
    print(line, flush=True)
    return 0 if done and "error" not in result else 1


if __name__ == "__main__":
    sys.exit(main())
