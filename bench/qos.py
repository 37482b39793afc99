"""R6 check: does a user with one job wait about one job time behind a user with a hundred?

Starts the real stack (events consumer, dispatcher, sleeper workers) as child processes against
a database of its own, ``designtoolkit_bench`` (dropped and created at start, dropped at the
end), on RabbitMQ queues of its own (namespace ``bench<random hex>``). Then, ``--repeat`` times
with fresh users, under the fair-share policy:

1. user A queues ``--heavy-jobs`` sleeper jobs of ``--job-s`` seconds each;
2. as soon as A's jobs run in all ``--slots`` slots, user B queues one job;
3. B's wait is ``started_at - created_at`` of B's job; A's job time is the mean of
   ``finished_at - started_at`` over A's jobs that finished; the rest of A's jobs are cancelled.

Then once more under the FIFO policy, where B has to wait until the queue ahead of it has run
(about ``heavy_jobs / slots`` job times: ~50 s with the defaults).

Usage::

    .venv/bin/python bench/qos.py [--slots 2] [--heavy-jobs 100] [--job-s 1.0] [--repeat 3]
                                  [--worker-mode one|many]

``--worker-mode one`` runs one worker with ``--slots`` slots, ``many`` runs ``--slots``
workers with one slot each. Needs PostgreSQL, RabbitMQ, Redis and InfluxDB running (see the
project README); must not run at the same time as ``bench/chaos.py`` (same bench database).

Output: exactly one JSON line on stdout, also appended to ``bench/results/qos.jsonl``::

    {"light_user_wait_s": 1.1, "job_s": 1.6, "fifo_light_user_wait_s": 80.2, "slots": 2,
     "heavy_jobs": 100, "ratio": 0.7, "fifo_ratio": 50.1, "runs": [...], "seconds": 240.0}

``light_user_wait_s`` is the median of B's waits under fair share and ``job_s`` the median of
A's mean job time (a job's time as the frontend sees it: worker start-up of the job included);
``ratio = light_user_wait_s / job_s`` should be about 1 or less (B takes the first slot that
frees), and ``fifo_ratio`` about ``heavy_jobs / slots``. ``runs`` lists every measurement.
Everything else (progress, diagnostics) goes to stderr; the child processes' logs go to
``bench/results/qos-logs/``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__:  # imported as ``bench.qos``
    from . import harness
else:  # run as ``python bench/qos.py``: import the module next to this script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import harness

log = harness.log
wait_for = harness.wait_for


def seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()


class Bench:
    def __init__(self, args: argparse.Namespace, stack: harness.Stack) -> None:
        self.args = args
        self.stack = stack
        self.user_count = 0

    def start_stack(self) -> None:
        self.stack.start_events()
        self.stack.start_dispatcher()
        if self.args.worker_mode == "one":
            plan = [(f"qos-w0-{secrets.token_hex(3)}", self.args.slots)]
        else:
            plan = [(f"qos-w{i}-{secrets.token_hex(3)}", 1) for i in range(self.args.slots)]
        for index, (worker_id, slots) in enumerate(plan):
            self.stack.start_worker(f"worker{index}", worker_id, slots)
        ids = [worker_id for worker_id, _ in plan]
        harness.wait_for_sleeper_workers("the sleeper workers to announce", ids, 0.3)
        log(f"{len(ids)} sleeper worker(s) with {self.args.slots} slot(s) in all are live")

    def new_user_with_model(self, label: str):
        self.user_count += 1
        email = f"{label}-{self.user_count}-{secrets.token_hex(3)}@bench.test"
        return harness.new_user_with_model(email, f"QoS bench {label}")

    def measure(self, strategy: str) -> dict[str, Any]:
        """One measurement: A floods the queue, B queues one job once A fills every slot."""
        from apps.jobs.models import Job, QueuePolicy
        from apps.jobs.services import cancel_job, submit_job

        args = self.args
        QueuePolicy.objects.update_or_create(pk=1, defaults={"strategy": strategy})
        user_a, model_a = self.new_user_with_model("heavy")
        user_b, model_b = self.new_user_with_model("light")
        params = {"duration_s": args.job_s}
        t0 = time.monotonic()
        for _ in range(args.heavy_jobs):
            submit_job(user_a, model_a, "sleeper", params)
        log(f"[{strategy}] A queued {args.heavy_jobs} jobs in {time.monotonic() - t0:.1f} s")
        a_jobs = Job.objects.filter(owner=user_a)
        wait_for(
            lambda: a_jobs.filter(status=Job.Status.RUNNING).count() >= args.slots,
            120,
            f"A's jobs to fill all {args.slots} slots",
        )
        job_b = submit_job(user_b, model_b, "sleeper", params)
        finished_a_before = a_jobs.filter(status=Job.Status.SUCCEEDED).count()
        log(f"[{strategy}] B queued its job; A had {finished_a_before} finished already")
        budget = 120 + 4 * args.heavy_jobs * max(args.job_s, 0.5) / args.slots
        wait_for(
            lambda: Job.objects.filter(pk=job_b.pk, started_at__isnull=False).exists(),
            budget,
            "B's job to start",
        )
        # A few more of A's jobs finish, for a fair estimate of A's job time.
        enough = finished_a_before + 2 * args.slots
        wait_for(
            lambda: (
                Job.objects.get(pk=job_b.pk).status in Job.TERMINAL
                and a_jobs.filter(status=Job.Status.SUCCEEDED).count() >= enough
            ),
            60 + 6 * max(args.job_s, 0.5) * 2,
            "B's job to end and a few more of A's",
        )
        job_b.refresh_from_db()
        cancelled = sum(cancel_job(job) for job in a_jobs.filter(status__in=Job.ACTIVE))
        done = list(a_jobs.filter(status=Job.Status.SUCCEEDED))
        durations = [seconds(j.finished_at, j.started_at) for j in done]
        a_mean = statistics.mean(d for d in durations if d is not None)
        wait_b = seconds(job_b.started_at, job_b.created_at)
        assert wait_b is not None
        a_queue_ahead = a_jobs.filter(created_at__lt=job_b.created_at).count()
        result = {
            "strategy": strategy,
            "light_user_wait_s": round(wait_b, 3),
            "light_user_status": job_b.status,
            "job_s": round(a_mean, 3),
            "heavy_finished": len(done),
            "heavy_cancelled": cancelled,
            "heavy_started_before_light": a_jobs.filter(started_at__lt=job_b.started_at).count(),
            "heavy_queued_ahead": a_queue_ahead,
        }
        log(f"[{strategy}] {json.dumps(result)}")
        wait_for(lambda: not Job.objects.active().exists(), 60, "the cancelled jobs to end")
        time.sleep(2)  # let the workers kill the cancelled runs' child processes
        return result

    def run(self) -> dict[str, Any]:
        args = self.args
        started = time.monotonic()
        self.start_stack()
        runs = [self.measure("fair_share") for _ in range(args.repeat)]
        runs.append(self.measure("fifo"))
        fair = [r for r in runs if r["strategy"] == "fair_share"]
        light_wait = statistics.median(r["light_user_wait_s"] for r in fair)
        job_s = statistics.median(r["job_s"] for r in fair)
        fifo_wait = runs[-1]["light_user_wait_s"]
        return {
            "light_user_wait_s": round(light_wait, 3),
            "job_s": round(job_s, 3),
            "fifo_light_user_wait_s": round(fifo_wait, 3),
            "slots": args.slots,
            "heavy_jobs": args.heavy_jobs,
            "ratio": round(light_wait / job_s, 3),
            "fifo_ratio": round(fifo_wait / job_s, 3),
            "worker_mode": args.worker_mode,
            "runs": runs,
            "seconds": round(time.monotonic() - started, 1),
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slots", type=int, default=2, help="worker slots in all (default 2)")
    parser.add_argument(
        "--heavy-jobs", type=int, default=100, help="jobs the heavy user queues (default 100)"
    )
    parser.add_argument("--job-s", type=float, default=1.0, help="sleeper duration (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="fair-share measurements (default 3)")
    parser.add_argument(
        "--worker-mode",
        choices=["one", "many"],
        default="one",
        help="one worker with --slots slots, or --slots workers with one slot (default one)",
    )
    args = parser.parse_args(argv)
    if args.slots < 1 or args.heavy_jobs < args.slots + 1 or args.repeat < 1:
        parser.error("need --slots >= 1, --heavy-jobs > --slots and --repeat >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return harness.run_bench(
        "qos", lambda stack: Bench(args, stack).run(), migrate_output=sys.stderr
    )


if __name__ == "__main__":
    sys.exit(main())
