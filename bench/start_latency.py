"""P4 check: how long from a job's submit to its start on a worker, on an idle cluster?

Starts the real stack (events consumer, dispatcher, one sleeper worker) in the bench world of
:mod:`harness`, then submits ``--jobs`` short sleeper jobs one at a time, each when the one
before has ended (so the cluster is idle at every submit), and measures ``started_at -
created_at`` of each: the time to commit the submit, wake the dispatcher, send the job through
RabbitMQ, start it on the worker, and have the events consumer record the start.

Usage::

    .venv/bin/python bench/start_latency.py [--jobs 20]

Output: one JSON line on stdout, also appended to ``bench/results/start_latency.jsonl``::

    {"jobs": 20, "p50_ms": 61.0, "p90_ms": 80.2, "max_ms": 95.1, "dispatcher_interval_s": 0.5}

``dispatcher_interval_s`` is the dispatcher's reconcile interval: before the dispatcher woke on
a submit, a job waited for the next round (half the interval on average).
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
from pathlib import Path
from typing import Any

if __package__:
    from . import harness
else:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import harness

DISPATCHER_INTERVAL_S = 0.5  # what harness.Stack.start_dispatcher passes


def run(args: argparse.Namespace, stack: harness.Stack) -> dict[str, Any]:
    from apps.jobs.models import Job
    from apps.jobs.services import submit_job

    stack.start_events()
    stack.start_dispatcher()
    worker_id = f"latency-{secrets.token_hex(3)}"
    stack.start_worker("worker", worker_id, 1)
    harness.wait_for_sleeper_workers("the sleeper worker to announce", [worker_id])
    user, model = harness.new_user_with_model(
        f"latency-{secrets.token_hex(3)}@bench.test", "Start latency bench"
    )
    latencies_ms: list[float] = []
    for index in range(args.jobs + 1):  # the first job warms the worker up and is not counted
        job = submit_job(user, model, "sleeper", {"duration_s": 0.1})
        harness.wait_for(
            lambda pk=job.pk: Job.objects.filter(pk=pk, status__in=Job.TERMINAL).exists(),
            60,
            f"job {index} to end",
            interval=0.02,
        )
        job.refresh_from_db()
        if index:
            latencies_ms.append((job.started_at - job.created_at).total_seconds() * 1000)
    latencies_ms.sort()
    return {
        "jobs": len(latencies_ms),
        "p50_ms": round(statistics.median(latencies_ms), 1),
        "p90_ms": round(latencies_ms[int(0.9 * (len(latencies_ms) - 1))], 1),
        "max_ms": round(latencies_ms[-1], 1),
        "dispatcher_interval_s": DISPATCHER_INTERVAL_S,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    args = parser.parse_args()
    return harness.run_bench("start_latency", lambda stack: run(args, stack))


if __name__ == "__main__":
    sys.exit(main())
