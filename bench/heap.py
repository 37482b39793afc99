"""What the cyclic garbage collector costs a web process, by setting: ``python bench/heap.py``.

Serves the load test's mix of routes (bench/request_cost.py's world: Django's test client, debug
off) ``--requests`` times under each collector setting in turn, ``--rounds`` times, and reports per
setting the medians over the rounds of: the process's CPU per request, the time spent in
collections per request, the longest collection (the interpreter stands still meanwhile: every
request of the process waits) and the number of collections of the oldest generation. Settings:
CPython's default (700, 10, 10); the heap frozen after start-up (``omotes.heap.settle``, what the
services run with); frozen with the young threshold raised to 50,000 (fewer, longer collections,
the setting ``omotes.heap`` tried and dropped). One request at a time, so it shows each
setting's own cost, not what concurrency adds under the load test (bench/README.md). Prints one
JSON line (also in ``bench/results/heap.jsonl``).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, request_cost  # noqa: E402
from omotes import heap  # noqa: E402

DEFAULT_THRESHOLDS = (700, 10, 10)
SETTINGS = ("CPython default", "omotes.heap.settle", "frozen, young threshold 50,000")


def apply(setting: str) -> None:
    gc.unfreeze()
    gc.set_threshold(*DEFAULT_THRESHOLDS)
    gc.collect()
    if setting != "CPython default":
        heap.settle()
    if setting == "frozen, young threshold 50,000":
        gc.set_threshold(50_000, *DEFAULT_THRESHOLDS[1:])


class Pauses:
    """Every collection's duration and generation while installed (gc.callbacks)."""

    def __init__(self) -> None:
        self.durations: list[tuple[int, float]] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.durations.append((info["generation"], time.perf_counter() - self._started))


def serve_mix(client: Any, routes: dict, requests: int) -> None:
    order = [name for name, weight in request_cost.LOAD_MIX.items() for _ in range(weight)]
    for name in itertools.islice(itertools.cycle(order), requests):
        method, url, kwargs = routes[name]
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code < 400, (name, response.status_code)


def run(stack: harness.Stack, args: argparse.Namespace) -> dict[str, Any]:
    _, client, routes = request_cost.bench_world(stack)
    settings = list(SETTINGS)
    serve_mix(client, routes, 30)  # templates compiled, caches warm
    rounds: dict[str, list[dict[str, float]]] = {setting: [] for setting in settings}
    for round_number in range(args.rounds):
        # Each round in another order: the model's job table grows with the mix's submissions.
        shift = round_number % len(settings)
        for setting in settings[shift:] + settings[:shift]:
            apply(setting)
            pauses = Pauses()
            gc.callbacks.append(pauses)
            started = time.process_time()
            serve_mix(client, routes, args.requests)
            cpu_s = time.process_time() - started
            gc.callbacks.remove(pauses)
            rounds[setting].append(
                {
                    "cpu_ms_per_request": 1000 * cpu_s / args.requests,
                    "gc_ms_per_request": 1000 * sum(d for _, d in pauses.durations) / args.requests,
                    "longest_gc_ms": 1000 * max((d for _, d in pauses.durations), default=0.0),
                    "full_collections": sum(1 for g, _ in pauses.durations if g == 2),
                }
            )
            harness.log(f"round {round_number + 1} {setting}: {rounds[setting][-1]}")
    apply("omotes.heap.settle")
    return {
        "requests": args.requests,
        "rounds": args.rounds,
        "frozen_objects": gc.get_freeze_count(),
        "commit": harness.commit(),
        "settings": {
            setting: {
                figure: round(statistics.median(r[figure] for r in results), 2)
                for figure in results[0]
            }
            for setting, results in rounds.items()
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=450, help="requests per setting a round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    return harness.run_bench("heap", lambda stack: run(stack, args))


if __name__ == "__main__":
    sys.exit(main())
