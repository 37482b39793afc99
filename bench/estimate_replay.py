"""Replays a recorded run of bench/estimate.py offline: how would other estimators have done?

Why: a real run takes twenty minutes or more and the machine's load changes between runs, so
two estimators are best compared on the same recorded jobs. Each job is estimated, as in the
live run, from the jobs before it only (newest counting most, :func:`recency_weight`), with
the pure model of :mod:`omotes.estimation` and the priors the workflows announce now, in
these variants:

- ``separate``: each workflow learns from its own runs only (the estimate before pooling);
- ``pooled``: ``simulator`` and ``simulate_kpis`` share one history (a runtime family), each
  keeping its own level (:func:`omotes.estimation.pooled`);
- ``pooled_plain``: the family's runs taken as they are, as if of one workflow;
- ``*_speed``: as above, each past run divided by the contention it met (``run_contention``):
  what the product does;
- ``*_probe``: as ``*_speed`` and the estimate multiplied by the contention the workers
  announced before the job (``contention_before``): what the product did until 27 Nov.

Usage: ``python bench/estimate_replay.py [--line -1] [bench/results/estimate.jsonl]``; prints
one JSON line with each variant's mape (and its halves). Variants whose inputs the recorded
run lacks (runs recorded before contention was) are left out.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from omotes.estimation import PastRun, estimate, prior_model, recency_weight  # noqa: E402
from omotes.workflows.base import describe  # noqa: E402
from omotes.workflows.sequence import simulate_and_kpis  # noqa: E402
from omotes.workflows.simulator import workflow as simulator  # noqa: E402

RESULTS_FILE = Path(__file__).resolve().parent / "results" / "estimate.jsonl"
#: The priors the workers announce now.
PRIORS = {d.name: d.runtime_prior for d in (describe(simulator), describe(simulate_and_kpis))}
#: The priors the workers announced for runs recorded before 27 Nov, which did not record the
#: workers' speed: it is recovered from their first estimate.
RECORDED_PRIORS = {
    "simulator": {"overhead_s": 5.0, "per_asset_s": 0.02, "per_asset_step_s": 1e-3},
    "simulate_kpis": {"overhead_s": 8.0, "per_asset_s": 0.03, "per_asset_step_s": 1e-3},
}

Speed = Callable[[dict[str, Any]], float]


def _one(_: dict[str, Any]) -> float:
    return 1.0


def _contention_during(run: dict[str, Any]) -> float:
    return float(run.get("run_contention") or 1.0)


def _contention_before(run: dict[str, Any]) -> float:
    return float(run.get("contention_before") or 1.0)


def replay(
    runs: list[dict[str, Any]],
    pooling: str,
    during: Speed = _one,
    before: Speed = _one,
    calibration: float = 1.0,
) -> list[float]:
    """The relative error of each job's estimate from the jobs before it."""
    errors = []
    for index, job in enumerate(runs):
        history = [
            r
            for r in reversed(runs[:index])
            if pooling != "separate" or r["workflow"] == job["workflow"]
        ]
        past = [
            PastRun(
                r["assets"],
                r["steps"],
                r["measured_s"],
                recency_weight(i),
                calibration * during(r),
                "" if pooling == "pooled_plain" else r["workflow"],
            )
            for i, r in enumerate(history)
        ]
        guess = estimate(
            job["assets"],
            job["steps"],
            past,
            PRIORS[job["workflow"]],
            calibration * before(job),
            workflow=job["workflow"],
        ).seconds
        errors.append(abs(guess - job["measured_s"]) / job["measured_s"])
    return errors


def summary(errors: list[float]) -> dict[str, float]:
    half = len(errors) // 2

    def mean(values: list[float]) -> float:
        return round(sum(values) / len(values), 3) if values else float("nan")

    return {"mape": mean(errors), "first": mean(errors[:half]), "second": mean(errors[half:])}


def workers_speed(first: dict[str, Any]) -> float:
    """The workers' calibrated speed factor the live run estimated with."""
    if first.get("speed"):
        return float(first["speed"])
    recorded = prior_model(RECORDED_PRIORS[first["workflow"]])
    return (
        first["estimate_s"]
        / recorded.predict(first["assets"], first["steps"])
        / _contention_before(first)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="?", default=str(RESULTS_FILE))
    parser.add_argument("--line", type=int, default=-1, help="which run of the file (-1: last)")
    args = parser.parse_args(argv)
    line = json.loads(Path(args.results).read_text().splitlines()[args.line])
    runs = [r for r in line["runs"] if r.get("measured_s")]
    calibration = workers_speed(runs[0])
    variants: dict[str, tuple[Speed, Speed]] = {"": (_one, _one)}
    if all("run_contention" in r for r in runs):
        variants["_speed"] = (_contention_during, _one)
        variants["_probe"] = (_contention_during, _contention_before)
    figures = {
        f"{pooling}{suffix}": summary(replay(runs, pooling, during, before, calibration))
        for pooling in ("separate", "pooled", "pooled_plain")
        for suffix, (during, before) in variants.items()
    }
    print(json.dumps({"at": line.get("at"), "jobs": len(runs), **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
