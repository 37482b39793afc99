"""What each route of the load test costs when the real web server serves it:
``python bench/served_cost.py [--requests 60] [--rounds 3] [--jobs-on-model 50]``.

``bench/request_cost.py`` measures the views in process (Django's test client); this bench puts
one daphne process (``designtoolkit.webserver``) in front, as ``scripts/run.sh`` does, logs in
through the login form and asks each route ``--requests`` times in a row, one request at a time,
``--rounds`` times. Per route it takes the median over the rounds of the CPU per request of the
web server (its process and children) and of PostgreSQL (every ``postgres`` process of this
machine: run it on a quiet machine), so what the server, ASGI and the database add to a view is
counted too, and nothing else's contention is. The model carries ``--jobs-on-model`` finished
jobs, as the load test's models do after a few minutes (its job table shows 50 a page). Prints
one JSON line (also in ``bench/results/served_cost.jsonl``): per route ``web_cpu_ms`` and
``postgres_cpu_ms``, and both for the load test's mix of GETs.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, request_cost  # noqa: E402

#: The load test's GETs and their weights in its mix (its one POST submits a job).
LOAD_MIX = {name: weight for name, weight in request_cost.LOAD_MIX.items() if "POST" not in name}


def cpu_s(session: int) -> tuple[float, float]:
    """CPU seconds so far of the processes of ``session`` (the web server) and of PostgreSQL."""
    web = postgres = 0.0
    for process_session, name, cpu in harness.process_cpu_s().values():
        if process_session == session:
            web += cpu
        elif name == "postgres":
            postgres += cpu
    return web, postgres


def log_in(host: str, email: str) -> requests.Session:
    client = requests.Session()
    form = client.get(f"{host}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    answer = client.post(
        f"{host}/accounts/login/",
        data={
            "login": email,
            "password": harness.PASSWORD,
            "csrfmiddlewaretoken": token.group(1) if token else "",
        },
        headers={"Referer": f"{host}/accounts/login/"},
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"login refused ({answer.status_code})")
    return client


def served_world(stack: harness.Stack, port: int, email: str, project: str) -> tuple[Any, ...]:
    """The job pipeline with a sleeper worker, one daphne process on ``port`` (as
    ``scripts/run.sh`` serves), and a user with a model: (the server's process, the user, the
    model, the server's address)."""
    stack.start_events()
    stack.start_dispatcher()
    stack.start_worker("worker-0", "served-worker-0", slots=2)
    harness.wait_for_sleeper_workers("the sleeper worker")
    web = ["-b", "127.0.0.1", "-p", str(port), "designtoolkit.asgi:application"]
    server = stack.start("web", "-m", "designtoolkit.webserver", *web)
    user, model = harness.new_user_with_model(email, project)
    host = f"http://127.0.0.1:{port}"
    harness.wait_for(lambda: harness.answers(host), 60, "the web server", interval=0.5)
    return server, user, model, host


def run(stack: harness.Stack, args: argparse.Namespace) -> dict[str, Any]:
    from apps.jobs.models import Job
    from apps.jobs.services import submit_job

    server, user, model, host = served_world(stack, args.port, "served@example.com", "Served cost")
    jobs = [submit_job(user, model, "sleeper", {"duration_s": 0.1}) for _ in range(2)]
    harness.wait_for(
        lambda: Job.objects.filter(status="succeeded").count() == 2, 120, "the jobs", interval=0.5
    )
    finished = Job.objects.get(pk=jobs[0].pk)
    for _ in range(max(0, args.jobs_on_model - len(jobs))):  # copies of a finished job
        finished.pk = finished.id = None
        finished._state.adding = True
        finished.save(force_insert=True)
    client = log_in(host, user.email)
    job_ids = [str(job.pk) for job in jobs]
    series = "asset_id=sleeper&field=value"
    routes = {
        "/projects/": "/projects/",
        "/api/projects/": "/api/projects/",
        "/models/<id>/": f"/models/{model.pk}/",
        "/jobs/<id>/": f"/jobs/{job_ids[0]}/",
        "/api/jobs/<id>/series/data/": f"/api/jobs/{job_ids[0]}/series/data/?{series}",
        "/api/compare/series/": "/api/compare/series/?"
        + "&".join(f"jobs={job}" for job in job_ids)
        + f"&{series}",
    }
    figures: dict[str, dict[str, float]] = {}
    for name, path in routes.items():
        for _ in range(5):  # warm the caches and the connections' prepared statements
            if client.get(host + path).status_code != 200:
                raise RuntimeError(f"{path} did not answer 200")
        web_ms, postgres_ms = [], []
        for _ in range(args.rounds):
            web_before, postgres_before = cpu_s(server.pid)
            for _ in range(args.requests):
                client.get(host + path)
            web_after, postgres_after = cpu_s(server.pid)
            web_ms.append((web_after - web_before) / args.requests * 1000)
            postgres_ms.append((postgres_after - postgres_before) / args.requests * 1000)
        figures[name] = {
            "web_cpu_ms": round(statistics.median(web_ms), 1),
            "postgres_cpu_ms": round(statistics.median(postgres_ms), 1),
        }
        harness.log(f"{name}: {figures[name]}")
    weight = sum(LOAD_MIX.values())
    return {
        "requests": args.requests,
        "rounds": args.rounds,
        "jobs_on_model": args.jobs_on_model,
        "routes": figures,
        "mix_web_cpu_ms": round(
            sum(figures[n]["web_cpu_ms"] * w for n, w in LOAD_MIX.items()) / weight, 1
        ),
        "mix_postgres_cpu_ms": round(
            sum(figures[n]["postgres_cpu_ms"] * w for n, w in LOAD_MIX.items()) / weight, 1
        ),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "commit": harness.commit(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60, help="requests of a route a round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs-on-model", type=int, default=50)
    parser.add_argument("--port", type=int, default=8231)
    args = parser.parse_args()
    os.environ["DT_SECURE_COOKIES"] = "0"  # plain HTTP on 127.0.0.1, as scripts/run.sh serves
    os.environ.setdefault("DT_DB_POOL_MAX", "10")  # as scripts/run.sh runs it
    return harness.run_bench("served_cost", lambda stack: run(stack, args))


if __name__ == "__main__":
    sys.exit(main())
