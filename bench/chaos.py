"""R26 check: every job ends exactly once, whatever process dies while jobs run.

Starts the real stack (events consumer, dispatcher, ``--workers`` sleeper workers with one slot
each, ids ``chaos-w<i>-<n>``) as child processes against a database of its own,
``designtoolkit_bench`` (dropped and created at start, dropped at the end), on RabbitMQ queues of
its own (namespace ``bench<random hex>``). It submits ``--jobs`` sleeper jobs of ``--job-s``
seconds from 4 users, ~5% of them with ``fail=true`` (they must end failed, with a reason), and
then, at random moments while they run:

* SIGKILLs a random worker (with its job child processes) ``--kills`` times, starting a
  replacement 0-3 s later;
* SIGKILLs and restarts the dispatcher twice and the events consumer twice;
* restarts RabbitMQ once (``rabbitmqctl stop_app`` + ``start_app``; this briefly disconnects
  every other user of the broker too);
* cancels ~3% of the jobs (``cancel_job``), each a random queued or running one.

It waits until no job is active or ``--deadline-s`` has passed, then checks every job.

Usage::

    .venv/bin/python bench/chaos.py [--jobs 200] [--workers 2] [--job-s 1.0] [--kills 10]
                                    [--deadline-s 900] [--seed N]

Needs PostgreSQL, RabbitMQ, Redis and InfluxDB running (see the project README) and the right
to run ``rabbitmqctl``; must not run at the same time as ``bench/qos.py`` (same database).

Output: exactly one JSON line on stdout, also appended to ``bench/results/chaos.jsonl``::

    {"submitted": 200, "succeeded": 184, "failed": 10, "cancelled": 6, "lost": 0,
     "duplicated_results": 0, "failed_without_reason": 0, "worker_kills": 10,
     "dispatcher_restarts": 2, "events_restarts": 2, "broker_restarts": 1, "seconds": 200.3,
     "failed_unexpected": 0, "history_gaps": 0, "unexpected_exits": 0, "restart_failures": 0,
     ...}

A healthy run has ``lost``, ``duplicated_results``, ``failed_without_reason``,
``history_gaps``, ``unexpected_exits`` and ``restart_failures`` at 0, ``failed`` close to the
number of ``fail=true`` jobs (``fail_requested``) and ``cancelled`` equal to ``cancel_requests``.
``lost``: jobs still queued/dispatched/running at the deadline. ``duplicated_results``:
succeeded jobs whose InfluxDB database does not hold exactly 24 points or that have more than one
"result" event. ``failed_unexpected``: failed jobs that were not asked to fail (e.g. gave up
after ``DT_JOB_MAX_ATTEMPTS`` lost runs; their reasons are listed on stderr).
``history_gaps``: terminal jobs whose event history lacks the event of their final status
(result / failed or error / cancelled) or has not one "started" event per attempt.
``unexpected_exits``: child processes that died without being killed by this script.
``restart_failures``: restarted workers that did not announce themselves within 30 s.
Everything else (the chaos timeline, failure reasons, details of any anomaly) goes to stderr;
the child processes' logs go to ``bench/results/chaos-logs/``.
"""

from __future__ import annotations

import argparse
import random
import secrets
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__:  # imported as ``bench.chaos``
    from . import harness
else:  # run as ``python bench/chaos.py``: import the module next to this script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import harness

log = harness.log
wait_for = harness.wait_for

USERS = 4
FAIL_SHARE = 0.05
CANCEL_SHARE = 0.03
POINTS = 24  # what one sleeper run stores


def broker_answers(url: str) -> bool:
    import pika

    try:
        connection = pika.BlockingConnection(pika.URLParameters(url))
    except Exception:  # noqa: BLE001 - any failure means "not yet"
        return False
    connection.close()
    return True


class Chaos:
    def __init__(self, args: argparse.Namespace, stack: harness.Stack) -> None:
        self.args = args
        self.stack = stack
        stack.announce = self.timeline  # "started <name> (pid <pid>)" on the timeline
        self.rng = random.Random(args.seed)
        self.generation = [0] * args.workers
        self.restarts_due: dict[str, float] = {}  # process name -> monotonic time
        self.awaiting_announce: dict[str, float] = {}  # worker id -> deadline
        self.counts: Counter[str] = Counter()
        self.anomalies: list[str] = []
        self.cancel_requests = 0
        self.started = time.monotonic()

    # -- processes ----------------------------------------------------------------------------

    def start_process(self, name: str) -> None:
        if name == "events":
            self.stack.start_events(name)
        elif name == "dispatcher":
            self.stack.start_dispatcher(name)
        else:
            index = int(name[1:])
            self.generation[index] += 1
            worker_id = self.worker_id(name)
            self.stack.start_worker(name, worker_id, 1, log_name=worker_id)
            self.awaiting_announce[worker_id] = time.monotonic() + 30

    def worker_id(self, name: str) -> str:
        index = int(name[1:])
        return f"chaos-w{index}-{self.generation[index]}"

    def kill_and_restart(self, name: str, counter: str) -> None:
        self.stack.kill(name)
        if name.startswith("w"):  # killed before it could announce: not a failed restart
            self.awaiting_announce.pop(self.worker_id(name), None)
        self.counts[counter] += 1
        delay = self.rng.uniform(0, 3)
        self.restarts_due[name] = time.monotonic() + delay
        self.timeline(f"SIGKILL {name}; restart in {delay:.1f} s")

    def restart_broker(self) -> None:
        from django.conf import settings

        self.timeline("rabbitmqctl stop_app")
        subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
        self.timeline("rabbitmqctl start_app")
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
        wait_for(lambda: broker_answers(settings.BROKER_URL), 120, "RabbitMQ to answer", 0.5)
        self.counts["broker_restarts"] += 1
        self.timeline("RabbitMQ answers again")

    def cancel_random_job(self) -> None:
        from apps.jobs.models import Job
        from apps.jobs.services import cancel_job

        running = list(Job.objects.filter(status=Job.Status.RUNNING).only("id", "status"))
        waiting = list(
            Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.DISPATCHED]).only(
                "id", "status"
            )
        )
        pool = running if running and (self.rng.random() < 0.5 or not waiting) else waiting
        if not pool:
            return
        job = self.rng.choice(pool)
        if cancel_job(job, by="chaos bench"):
            self.cancel_requests += 1
            self.timeline(f"cancelled job {job.pk} (was {job.status})")

    def check_processes(self) -> None:
        """A child that died on its own is an anomaly: record it with its log, then restart it."""
        from apps.jobs.models import Worker

        for name, process in list(self.stack.processes.items()):
            if process.poll() is not None:
                self.stack.processes.pop(name)
                self.counts["unexpected_exits"] += 1
                self.anomaly(
                    f"{name} (pid {process.pid}) exited by itself, code {process.returncode}"
                )
                self.restarts_due[name] = time.monotonic()
        now = time.monotonic()
        for worker_id, deadline in list(self.awaiting_announce.items()):
            if Worker.objects.alive().filter(pk=worker_id).exists():
                del self.awaiting_announce[worker_id]
            elif now > deadline:
                del self.awaiting_announce[worker_id]
                self.counts["restart_failures"] += 1
                self.anomaly(f"worker {worker_id} did not announce itself within 30 s")

    def timeline(self, message: str) -> None:
        log(f"[t+{time.monotonic() - self.started:6.1f}s] {message}")

    def anomaly(self, message: str) -> None:
        self.anomalies.append(message)
        self.timeline(f"ANOMALY: {message}")

    # -- the run ------------------------------------------------------------------------------

    def setup_jobs(self) -> list[Any]:
        from apps.jobs.services import submit_job

        args = self.args
        harness.wait_for_sleeper_workers("a sleeper worker to announce", interval=0.2)
        owners = [
            harness.new_user_with_model(
                f"chaos-{n}-{secrets.token_hex(3)}@bench.test", "Chaos bench"
            )
            for n in range(USERS)
        ]
        failing = set(self.rng.sample(range(args.jobs), round(args.jobs * FAIL_SHARE)))
        jobs = []
        for i in range(args.jobs):
            user, model = owners[i % USERS]
            params: dict[str, Any] = {"duration_s": args.job_s}
            if i in failing:
                params["fail"] = True
            jobs.append(submit_job(user, model, "sleeper", params))
        self.timeline(f"submitted {len(jobs)} jobs ({len(failing)} with fail=true)")
        return jobs

    def schedule(self) -> list[tuple[float, str]]:
        """Random moments within 60% of the expected run time (jobs * (job_s + 0.5 s of overhead)
        / workers), so that every planned disturbance happens while jobs are still running."""
        args = self.args
        span = max(20.0, 0.6 * args.jobs * (args.job_s + 0.5) / args.workers)
        kinds = (
            ["kill_worker"] * args.kills
            + ["restart_dispatcher"] * 2
            + ["restart_events"] * 2
            + ["restart_broker"]
            + ["cancel"] * max(1, round(args.jobs * CANCEL_SHARE))
        )
        start = time.monotonic()
        plan = sorted((start + self.rng.uniform(3, span), kind) for kind in kinds)
        self.timeline(f"{len(plan)} disturbances planned over {span:.0f} s")
        return plan

    def disturb(self, kind: str) -> None:
        if kind == "kill_worker":
            alive = [f"w{i}" for i in range(self.args.workers) if f"w{i}" in self.stack.processes]
            if alive:
                self.kill_and_restart(self.rng.choice(alive), "worker_kills")
            else:
                self.timeline("no worker alive to kill; skipped")
        elif kind == "restart_dispatcher":
            if "dispatcher" in self.stack.processes:
                self.kill_and_restart("dispatcher", "dispatcher_restarts")
        elif kind == "restart_events":
            if "events" in self.stack.processes:
                self.kill_and_restart("events", "events_restarts")
        elif kind == "restart_broker":
            self.restart_broker()
        elif kind == "cancel":
            self.cancel_random_job()

    def run(self) -> dict[str, Any]:
        from apps.jobs.models import Job

        args = self.args
        self.start_process("events")
        self.start_process("dispatcher")
        for i in range(args.workers):
            self.start_process(f"w{i}")
        jobs = self.setup_jobs()
        deadline = self.started + args.deadline_s
        plan = self.schedule()
        last_check = 0.0
        while time.monotonic() < deadline:
            now = time.monotonic()
            while plan and plan[0][0] <= now:
                self.disturb(plan.pop(0)[1])
            for name, due in list(self.restarts_due.items()):
                if due <= time.monotonic():
                    del self.restarts_due[name]
                    self.start_process(name)
            if now - last_check >= 1.0:
                last_check = now
                self.check_processes()
                if not Job.objects.active().exists():
                    break
            time.sleep(0.1)
        if plan:
            self.timeline(f"all jobs ended with {len(plan)} disturbances left: {plan}")
        self.timeline("no job active" if not Job.objects.active().exists() else "deadline passed")
        time.sleep(8)  # runs that were told to stop (duplicates, cancelled) end meanwhile
        self.check_processes()
        return self.evaluate(jobs)

    # -- the verdict ----------------------------------------------------------------------------

    def evaluate(self, submitted: list[Any]) -> dict[str, Any]:
        from apps.jobs.models import Job, JobEvent

        jobs = list(Job.objects.filter(pk__in=[j.pk for j in submitted]).defer("esdl"))
        status = Counter(job.status for job in jobs)
        events: dict[Any, list[tuple[str, str]]] = {job.pk: [] for job in jobs}
        for job_id, at, kind in JobEvent.objects.filter(job__in=jobs).values_list(
            "job_id", "at", "kind"
        ):
            events[job_id].append((kind, f"{at:%H:%M:%S.%f}"[:-3]))
        kinds = {job_id: Counter(kind for kind, _ in items) for job_id, items in events.items()}

        def evidence(job: Any) -> str:
            times = (job.created_at, job.started_at, job.finished_at)
            shown = ", ".join(f"{t:%H:%M:%S.%f}"[:-3] if t else "-" for t in times)
            return (
                f"status {job.status}, attempts {job.attempts}, worker {job.worker_id}, "
                f"run {job.run_id[:8]}, created/started/finished {shown}, "
                f"error {job.error[:200]!r}, events {events[job.pk]}"
            )

        lost = [job for job in jobs if job.status in Job.ACTIVE]
        for job in lost:
            self.anomaly(f"lost job {job.pk}: {evidence(job)}")
        duplicated = 0
        missing = 0
        for job in jobs:
            if job.status != Job.Status.SUCCEEDED:
                continue
            points = stored_points(job.database)
            results = kinds[job.pk]["result"]
            if points != POINTS or results > 1:
                duplicated += 1
                missing += points == 0
                self.anomaly(
                    f"job {job.pk}: {points} points stored, {results} result events; "
                    + evidence(job)
                )
            if job.params.get("fail"):
                self.anomaly(f"job {job.pk} succeeded although it was asked to fail")
        # Every state change should leave its event: one "started" per attempt, and the event
        # of the final status.
        final_kinds = {
            Job.Status.SUCCEEDED: ("result",),
            Job.Status.FAILED: ("failed", "error"),
            Job.Status.CANCELLED: ("cancelled",),
        }
        gaps = 0
        for job in jobs:
            if job.status not in final_kinds:
                continue
            counted = kinds[job.pk]
            no_final = not any(counted[k] for k in final_kinds[job.status])
            if no_final or counted["started"] != job.attempts:
                gaps += 1
                self.anomaly(f"job {job.pk}: history incomplete; {evidence(job)}")
        failed = [job for job in jobs if job.status == Job.Status.FAILED]
        without_reason = [job for job in failed if not job.error.strip()]
        for job in without_reason:
            self.anomaly(f"job {job.pk} failed without a reason")
        unexpected = [job for job in failed if not job.params.get("fail")]
        reasons = Counter(job.error.splitlines()[0][:120] for job in failed if job.error)
        log(f"failure reasons: {dict(reasons)}")
        for job in unexpected:
            log(f"  failed without fail=true: {job.pk} attempts={job.attempts}: {job.error!r}")
        attempts = Counter(job.attempts for job in jobs)
        log(f"attempts per job: {dict(sorted(attempts.items()))}")
        return {
            "submitted": len(jobs),
            "succeeded": status[Job.Status.SUCCEEDED],
            "failed": status[Job.Status.FAILED],
            "cancelled": status[Job.Status.CANCELLED],
            "lost": len(lost),
            "duplicated_results": duplicated,
            "failed_without_reason": len(without_reason),
            "worker_kills": self.counts["worker_kills"],
            "dispatcher_restarts": self.counts["dispatcher_restarts"],
            "events_restarts": self.counts["events_restarts"],
            "broker_restarts": self.counts["broker_restarts"],
            "seconds": round(time.monotonic() - self.started, 1),
            "fail_requested": sum(1 for job in jobs if job.params.get("fail")),
            "failed_unexpected": len(unexpected),
            "cancel_requests": self.cancel_requests,
            "results_missing": missing,
            "history_gaps": gaps,
            "unexpected_exits": self.counts["unexpected_exits"],
            "restart_failures": self.counts["restart_failures"],
            "max_attempts": max(attempts) if attempts else 0,
            "workers": self.args.workers,
            "job_s": self.args.job_s,
            "seed": self.args.seed,
            "anomalies": len(self.anomalies),
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }


def stored_points(database: str) -> int:
    from apps.results.influx import influx_client
    from omotes.influx import InfluxError

    try:
        results = influx_client().query('SELECT COUNT("value") FROM "Sleeper"', database=database)
    except InfluxError:
        return 0  # no database: nothing stored
    series = results[0].get("series", []) if results else []
    return int(series[0]["values"][0][1]) if series else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200, help="jobs to submit (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="one-slot workers (default 2)")
    parser.add_argument("--job-s", type=float, default=1.0, help="sleeper duration (default 1)")
    parser.add_argument("--kills", type=int, default=10, help="worker SIGKILLs (default 10)")
    parser.add_argument(
        "--deadline-s", type=float, default=900, help="give up on active jobs after (default 900)"
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = secrets.randbelow(1_000_000)
    if args.jobs < USERS or args.workers < 1 or args.kills < 0:
        parser.error(f"need --jobs >= {USERS}, --workers >= 1 and --kills >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    harness.set_log_milliseconds()
    log(f"seed {args.seed}")
    return harness.run_bench(
        "chaos", lambda stack: Chaos(args, stack).run(), migrate_output=subprocess.DEVNULL
    )


if __name__ == "__main__":
    sys.exit(main())
