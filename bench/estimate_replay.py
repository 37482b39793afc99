"""Replays a recorded run of bench/estimate.py offline: how would other estimators have done?

Why: a real run takes twenty minutes or more and the machine's load changes between runs, so
two estimators are best compared on the same recorded jobs. Each job is estimated, as in the
live run, from the jobs before it only (newest counting most, :func:`recency_weight`), with
the pure model of :mod:`omotes.estimation`, in these variants:

- ``separate``: each workflow learns from its own runs only (the estimate before pooling);
- ``pooled``: ``simulator`` and ``simulate_kpis`` share one history (a runtime family), each
  keeping its own level (:func:`omotes.estimation.pooled`);
- ``pooled_plain``: the family's runs taken as they are, as if of one workflow;
- ``*_speed``: as above, each past run divided by the speed it ran at (its worker's measured
  contention, recorded as ``run_contention``) and the estimate multiplied by the contention
  the worker measured before the job (``contention_before``);
- ``*_load``: the same with the load average per core instead (``load_before``, and the mean
  of ``load_before`` and ``load_after`` for a finished run), floored at 1.

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

RESULTS_FILE = Path(__file__).resolve().parent / "results" / "estimate.jsonl"
#: The workflows' priors as their workers announce them (simulate_kpis: its steps' sum).
PRIORS = {
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


def _load_during(run: dict[str, Any]) -> float:
    cpus = float(run.get("cpus") or 2)
    return max(1.0, (run["load_before"] + run["load_after"]) / 2 / cpus)


def _load_before(run: dict[str, Any]) -> float:
    return max(1.0, run["load_before"] / float(run.get("cpus") or 2))


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="?", default=str(RESULTS_FILE))
    parser.add_argument("--line", type=int, default=-1, help="which run of the file (-1: last)")
    args = parser.parse_args(argv)
    line = json.loads(Path(args.results).read_text().splitlines()[args.line])
    runs = [r for r in line["runs"] if r.get("measured_s")]
    for run in runs:
        run.setdefault("cpus", line.get("cpus"))
    # The calibrated speed the live run assumed: its first estimate over the bare prior.
    first = runs[0]
    calibration = first["estimate_s"] / prior_model(PRIORS[first["workflow"]]).predict(
        first["assets"], first["steps"]
    )
    if "contention_before" in first:
        calibration /= _contention_before(first)
    variants: dict[str, tuple[Speed, Speed]] = {"": (_one, _one)}
    if all("run_contention" in r for r in runs):
        variants["_speed"] = (_contention_during, _contention_before)
    if all("load_before" in r for r in runs):
        variants["_load"] = (_load_during, _load_before)
    figures = {
        f"{pooling}{suffix}": summary(replay(runs, pooling, during, before, calibration))
        for pooling in ("separate", "pooled", "pooled_plain")
        for suffix, (during, before) in variants.items()
    }
    print(json.dumps({"at": line.get("at"), "jobs": len(runs), **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
