"""What one request of each route of the load test costs: ``python bench/request_cost.py``.

The load test (bench/load.py) says how long users wait; on a shared 2-core machine that mostly
measures the other processes. This bench says where the web process's own time goes: it serves
the load test's routes in this process (Django's test client, debug off, a logged-in user of a
bench world with two finished sleeper jobs) and, per route, takes the median of ``--repeat``
requests of the CPU time this process spent (``time.process_time``: not inflated by other
processes), the wall time, the SQL queries and the response size. Prints one JSON line (also in
``bench/results/request_cost.jsonl``): ``routes`` (name -> figures), ``cpu_ms_total`` (the sum of
the medians), ``cpu_ms_mean_mix`` (the mean of a request in the load test's mix of tasks) and
the CPU a second of 300 users with 5 s think time would need per core. The login (a form POST
that checks the password: Argon2id, slow on purpose) is measured too, outside the mix.

``--profile`` prints to stderr, per route, the functions that took the most time (cProfile,
cumulative; ``--profile-only main/apps``: only ours) over the measured requests; ``--sql`` the
SQL of one request of each route.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness  # noqa: E402

#: How often the load test (bench/load.py) asks each route: its tasks' weights.
LOAD_MIX = {
    "/projects/": 3,
    "/api/projects/": 2,
    "/models/<id>/": 2,
    "/jobs/<id>/": 2,
    "/api/jobs/<id>/series/data/": 3,
    "/api/compare/series/": 2,
    "/api/jobs/ (POST)": 1,
}


def measure(
    client: Any,
    method: str,
    url: str,
    repeat: int,
    profile: str = "",
    sql: bool = False,
    fresh: bool = False,
    profile_only: str = "",
    **kwargs: Any,
) -> dict[str, Any]:
    """``fresh``: each request without the cookies of the one before (a login from the form);
    ``profile_only``: the profile shows only functions whose file matches this pattern."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cpu, wall, queries, size, status = [], [], [], 0, 0
    profiler = cProfile.Profile() if profile else None
    for n in range(repeat + 1):  # the first request warms caches and imports: not counted
        if fresh:
            client.cookies.clear()
        with CaptureQueriesContext(connection) as captured:
            if profiler and n:
                profiler.enable()
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            answer = getattr(client, method)(url, **kwargs)
            if getattr(answer, "streaming", False):
                size = sum(len(chunk) for chunk in answer.streaming_content)
            else:
                size = len(answer.content)
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started_wall)
            if profiler and n:
                profiler.disable()
        queries.append(len(captured))
        if sql and n == 1:
            harness.log(f"SQL of {method.upper()} {url}:")
            for query in captured.captured_queries:
                harness.log(f"  {query['sql'][:300]}")
        status = answer.status_code
        if status >= 400:
            raise RuntimeError(
                f"{method.upper()} {url} answered {status}: {answer.content[:300]!r}"
            )
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(profile_only, 40)
        harness.log(f"profile of {repeat} x {method.upper()} {url}:\n{out.getvalue()}")
    return {
        "status": status,
        "cpu_ms": round(statistics.median(cpu[1:]) * 1000, 1),
        "wall_ms": round(statistics.median(wall[1:]) * 1000, 1),
        "queries": statistics.median(queries[1:]),
        "bytes": size,
    }


def bench_world(stack: harness.Stack) -> tuple[Any, Any, dict[str, tuple[str, str, dict]]]:
    """A sleeper worker, a user with a model and two finished jobs, and the load test's routes
    on them: (the user, a test client logged in as them, name -> (method, url, arguments))."""
    from django.test import Client

    from apps.jobs.models import Job
    from apps.jobs.services import submit_job

    stack.start_events()
    stack.start_dispatcher()
    stack.start_worker("worker-0", "cost-worker-0", slots=2)
    harness.wait_for_sleeper_workers("the sleeper worker")
    user, model = harness.new_user_with_model("cost@example.com", "Request cost")
    jobs = [submit_job(user, model, "sleeper", {"duration_s": 0.1}) for _ in range(2)]
    harness.wait_for(
        lambda: Job.objects.filter(status="succeeded").count() == 2, 120, "the jobs", interval=0.5
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    job_ids = [str(job.pk) for job in jobs]
    series = {"asset_id": "sleeper", "field": "value"}
    routes = {
        "/projects/": ("get", "/projects/", {}),
        "/api/projects/": ("get", "/api/projects/", {}),
        "/models/<id>/": ("get", f"/models/{model.pk}/", {}),
        "/jobs/": ("get", "/jobs/", {}),
        "/jobs/<id>/": ("get", f"/jobs/{job_ids[0]}/", {}),
        "/api/jobs/<id>/series/data/": (
            "get",
            f"/api/jobs/{job_ids[0]}/series/data/",
            {"data": series},
        ),
        "/api/compare/series/": (
            "get",
            "/api/compare/series/",
            {"data": {"jobs": job_ids, **series}},
        ),
        "/api/jobs/estimate/ (POST)": (
            "post",
            "/api/jobs/estimate/",
            {
                "data": {"model": model.pk, "workflow": "sleeper", "params": {"duration_s": 0.1}},
                "content_type": "application/json",
            },
        ),
        "/api/jobs/ (POST)": (
            "post",
            "/api/jobs/",
            {
                "data": {"model": model.pk, "workflow": "sleeper", "params": {"duration_s": 0.1}},
                "content_type": "application/json",
            },
        ),
    }
    return user, client, routes


def run(stack: harness.Stack, args: argparse.Namespace) -> dict[str, Any]:
    from django.test import Client

    user, client, routes = bench_world(stack)
    figures = {
        name: measure(
            client,
            method,
            url,
            args.repeat,
            args.profile and name,
            args.sql,
            profile_only=args.profile_only,
            **kwargs,
        )
        for name, (method, url, kwargs) in routes.items()
        if not args.only or name in args.only
    }
    if not args.only or "/accounts/login/ (POST)" in args.only:
        figures["/accounts/login/ (POST)"] = measure(
            Client(HTTP_HOST="127.0.0.1"),
            "post",
            "/accounts/login/",
            max(3, args.repeat // 3),
            args.profile,
            args.sql,
            fresh=True,
            profile_only=args.profile_only,
            data={"login": user.email, "password": harness.PASSWORD},
        )
    mix = {name: weight for name, weight in LOAD_MIX.items() if name in figures}
    mean_ms = sum(figures[name]["cpu_ms"] * w for name, w in mix.items()) / max(
        1, sum(mix.values())
    )
    # 300 users each clicking every 5 s on average: 60 requests a second of the mean route.
    cores_for_300_users = round(300 / 5 * mean_ms / 1000, 2)
    return {
        "repeat": args.repeat,
        "routes": figures,
        "cpu_ms_total": round(sum(figures[name]["cpu_ms"] for name in mix), 1),
        "cpu_ms_mean_mix": round(mean_ms, 1),
        "cores_for_300_users": cores_for_300_users,
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--profile", action="store_true", help="cProfile each route (stderr)")
    parser.add_argument(
        "--profile-only",
        default="",
        help="with --profile: only functions whose file matches this pattern (e.g. 'main/apps')",
    )
    parser.add_argument("--sql", action="store_true", help="the SQL of each route (stderr)")
    parser.add_argument("--only", nargs="*", default=[], help="just these routes (names)")
    args = parser.parse_args()
    return harness.run_bench("request_cost", lambda stack: run(stack, args))


if __name__ == "__main__":
    sys.exit(main())
