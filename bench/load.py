"""Hundreds of users on the running product: ``python bench/load.py [--users 300]``.

Locust (headless, in this process) drives a product of the bench's own (bench/harness.py: its own
database and queues; the web app, dispatcher, events consumer and two sleeper workers as child
processes). Each simulated user logs in through the login form, keeps a job's websocket open for
the whole run, and with think time between steps lists projects (page and API), opens model and
job pages, reads a job's chart data and the comparison series, and now and then submits a small
``sleeper`` job. ``--web daphne`` runs one daphne process, ``--web processes:N`` N of them on one
port, ``--web uvicorn:N`` N uvicorn processes (designtoolkit.webprocesses). Prints one JSON line
(also in bench/results/load.jsonl): users, requests, errors, rps, p50_ms, p95_ms, p99_ms,
websockets_open, the run's settings and the commit measured; ``cpu_cores``: the cores each part
used in the measured window (web, workers with their job processes, dispatcher, events consumer,
this load generator, and the shared services PostgreSQL, Redis, InfluxDB, RabbitMQ, which other
people's runs use too), the machine's busy cores and load average; ``websocket_closes``: why
held sockets ended.

The load generator runs on the same machine: its own CPU use competes with the product's. Its
users are Locust's FastHttpUser (geventhttpclient), which costs a fraction of the CPU per request
of HttpUser (python-requests); ``--client requests`` runs HttpUser.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import resource
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
import websocket
from locust import FastHttpUser, HttpUser, User, between, task
from locust.env import Environment

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness  # noqa: E402

ACCOUNTS: list[dict[str, Any]] = []  # email, model id, project id, finished job ids
OPEN_SOCKETS = {"now": 0, "peak": 0}
LOGGED_IN = {"count": 0}
#: Why held websockets ended before the run did: "close <code>" or the exception's class.
SOCKET_CLOSES: collections.Counter[str] = collections.Counter()


class ToolkitTasks(User):
    """What a person does; the HTTP client is FastHttpUser's or HttpUser's (``--client``)."""

    abstract = True
    wait_time = between(2, 8)  # think time between a person's clicks

    def on_start(self) -> None:
        self.account = random.choice(ACCOUNTS)
        # Each person from an address of their own (behind one proxy): login limits count per IP.
        address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        self.client_headers()["X-Forwarded-For"] = address
        page = self.client.get("/accounts/login/", name="/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text or "")
        with self.client.post(
            "/accounts/login/",
            data={
                "login": self.account["email"],
                "password": harness.PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="/accounts/login/ (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            # A login answers with a redirect away from the form; a refused one with the form.
            location = answer.headers.get("Location", "") if answer.headers else ""
            if answer.status_code != 302 or "/accounts/login/" in location:
                answer.failure(f"login refused ({answer.status_code}, the form came back)")
            else:
                answer.success()
        self.csrf = self.cookies().get("csrftoken", "")
        self.socket = gevent.spawn(self.hold_websocket)
        LOGGED_IN["count"] += 1

    def on_stop(self) -> None:
        self.socket.kill()

    def hold_websocket(self) -> None:
        """The job page's live-state socket, open until the run ends."""
        job = self.account["jobs"][0]
        url = self.host.replace("http://", "ws://") + f"/ws/jobs/{job}/"
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies().items())
        started = time.perf_counter()
        try:
            ws = websocket.create_connection(url, cookie=cookie, origin=self.host, timeout=30)
        except Exception as exc:  # noqa: BLE001 - counted as a failed request
            self.environment.events.request.fire(
                request_type="WS",
                name="/ws/jobs/",
                response_time=(time.perf_counter() - started) * 1000,
                response_length=0,
                exception=exc,
            )
            return
        OPEN_SOCKETS["now"] += 1
        OPEN_SOCKETS["peak"] = max(OPEN_SOCKETS["peak"], OPEN_SOCKETS["now"])
        try:
            ws.settimeout(None)
            while True:  # answers the server's pings (websocket-client does) until a close
                opcode, frame = ws.recv_data_frame(True)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    code = int.from_bytes(frame.data[:2], "big") if len(frame.data) >= 2 else 0
                    SOCKET_CLOSES[f"close {code}"] += 1
                    return
        except gevent.GreenletExit:
            raise  # the run's end (on_stop)
        except Exception as exc:  # noqa: BLE001 - the connection ended without a close frame
            SOCKET_CLOSES[type(exc).__name__] += 1
        finally:
            OPEN_SOCKETS["now"] -= 1

    @task(3)
    def projects_page(self) -> None:
        self.client.get("/projects/", name="/projects/")

    @task(2)
    def projects_api(self) -> None:
        self.client.get("/api/projects/", name="/api/projects/")

    @task(2)
    def model_page(self) -> None:
        self.client.get(f"/models/{self.account['model']}/", name="/models/<id>/")

    @task(2)
    def job_page(self) -> None:
        self.client.get(f"/jobs/{random.choice(self.account['jobs'])}/", name="/jobs/<id>/")

    @task(3)
    def chart_data(self) -> None:
        self.client.get(
            f"/api/jobs/{random.choice(self.account['jobs'])}/series/data/"
            "?asset_id=sleeper&field=value",
            name="/api/jobs/<id>/series/data/",
        )

    @task(2)
    def comparison(self) -> None:
        query = {"jobs": self.account["jobs"], "asset_id": "sleeper", "field": "value"}
        self.client.get(
            "/api/compare/series/?" + urlencode(query, doseq=True), name="/api/compare/series/"
        )

    @task(1)
    def submit_small_job(self) -> None:
        self.client.post(
            "/api/jobs/",
            json={
                "model": self.account["model"],
                "workflow": "sleeper",
                "params": {"duration_s": 0.5},
            },
            headers={"X-CSRFToken": self.csrf, "Referer": f"{self.host}/"},
            name="/api/jobs/ (POST)",
        )


class ToolkitUser(ToolkitTasks, FastHttpUser):
    def client_headers(self) -> dict:
        return self.client.client.default_headers

    def cookies(self) -> dict[str, str]:
        return {cookie.name: cookie.value for cookie in self.client.cookiejar}


class ToolkitRequestsUser(ToolkitTasks, HttpUser):
    def client_headers(self) -> dict:
        return self.client.headers

    def cookies(self) -> dict[str, str]:
        return dict(self.client.cookies.items())


#: The measured window's CPU, by part: stack process names, or process names on this machine.
SERVICES = {
    "postgresql": ("postgres",),
    "redis": ("redis-server",),
    "influxdb": ("influxd",),
    "rabbitmq": ("beam.smp", "erl_child_setup", "epmd"),
}


def machine_busy_s() -> float:
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(stack: harness.Stack) -> dict[str, float]:
    """CPU seconds so far by part (the stack's processes by their session, which holds their
    children: a worker's job processes, the web server's processes)."""
    processes = harness.process_cpu_s()
    sessions = {process.pid: name for name, process in stack.processes.items()}
    parts: collections.Counter[str] = collections.Counter()
    for _pid, (session, name, cpu) in processes.items():
        if session in sessions:
            part = sessions[session]
            parts["workers" if part.startswith("worker") else part] += cpu
            continue
        for service, names in SERVICES.items():
            if name in names:
                parts[service] += cpu
    usage = resource.getrusage(resource.RUSAGE_SELF)
    parts["load_generator"] = usage.ru_utime + usage.ru_stime
    parts["machine"] = machine_busy_s()
    return dict(parts)


def cpu_cores(before: dict[str, float], after: dict[str, float], seconds: float):
    return {
        part: round((after.get(part, 0.0) - before.get(part, 0.0)) / seconds, 2)
        for part in sorted(after, key=lambda p: before.get(p, 0.0) - after[p])
    }


def prepare_accounts(count: int) -> None:
    """Accounts with a model and two finished sleeper jobs each (chart and comparison data)."""
    from apps.jobs.models import Job
    from apps.jobs.services import submit_job

    for n in range(count):
        user, model = harness.new_user_with_model(f"load{n}@example.com", f"Load {n}")
        jobs = [submit_job(user, model, "sleeper", {"duration_s": 0.1}) for _ in range(2)]
        ACCOUNTS.append({"email": user.email, "model": model.pk, "jobs": [str(j.pk) for j in jobs]})
    harness.wait_for(
        lambda: Job.objects.filter(status="succeeded").count() == 2 * count,
        300,
        "the accounts' first jobs",
        interval=0.5,
    )


def percentile(stats, fraction: float) -> float:
    return float(stats.get_response_time_percentile(fraction) or 0.0)


def run(stack: harness.Stack, args: argparse.Namespace) -> dict[str, Any]:
    port = args.port
    stack.start_events()
    stack.start_dispatcher()
    for n in range(2):
        stack.start_worker(f"worker-{n}", f"load-worker-{n}", slots=2)
    harness.wait_for_sleeper_workers("the sleeper workers")
    web = ["-b", "127.0.0.1", "-p", str(port), "designtoolkit.asgi:application"]
    if args.web == "daphne":
        stack.start("web", "-m", "designtoolkit.webserver", *web)
    else:
        kind, processes = args.web.split(":", 1)
        server = "uvicorn" if kind == "uvicorn" else "daphne"
        stack.start(
            "web",
            *("-m", "designtoolkit.webprocesses", "--server", server, "--processes", processes),
            *web,
        )
    prepare_accounts(args.accounts)
    host = f"http://127.0.0.1:{port}"
    harness.wait_for(lambda: harness.answers(host), 60, "the web server", interval=0.5)

    user_class = ToolkitUser if args.client == "fast" else ToolkitRequestsUser
    env = Environment(user_classes=[user_class], host=host)
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=args.spawn_rate)
    ramp_deadline = time.monotonic() + args.users / args.spawn_rate + 300
    while LOGGED_IN["count"] < args.users and time.monotonic() < ramp_deadline:
        gevent.sleep(1)
    login = env.stats.get("/accounts/login/ (POST)", "POST")
    login_p95 = percentile(login, 0.95)
    env.stats.reset_all()  # measure the steady state, all users logged in
    if args.trace:
        trace = open(args.trace, "w")  # noqa: SIM115 - closed after the measured window
        trace.write("start_s,name,ms,failed\n")
        origin = time.time()

        def record(name, response_time, exception=None, start_time=None, **_) -> None:
            at = (start_time or time.time()) - origin
            trace.write(f"{at:.3f},{name},{response_time:.1f},{int(exception is not None)}\n")

        env.events.request.add_listener(record)
    SOCKET_CLOSES.clear()
    load_start = os.getloadavg()[0]
    cpu_before, measured_from = cpu_snapshot(stack), time.monotonic()
    gevent.sleep(args.duration)
    cpu_after = cpu_snapshot(stack)
    if args.trace:
        env.events.request.remove_listener(record)
        trace.close()
    cores = cpu_cores(cpu_before, cpu_after, time.monotonic() - measured_from)
    total = env.stats.total
    sockets_open = OPEN_SOCKETS["now"]
    result = {
        "users": args.users,
        "requests": total.num_requests,
        "errors": total.num_failures,
        "rps": round(total.total_rps, 1),
        "p50_ms": percentile(total, 0.50),
        "p95_ms": percentile(total, 0.95),
        "p99_ms": percentile(total, 0.99),
        "websockets_open": sockets_open,
        "web": args.web,
        "client": args.client,
        "duration_s": args.duration,
        "accounts": args.accounts,
        "logged_in": LOGGED_IN["count"],
        "login_p95_ms": login_p95,
        "websocket_closes": dict(SOCKET_CLOSES),
        "cpu_cores": cores,
        "loadavg_1m": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "slowest": sorted(
            (
                {"name": s.name, "p95_ms": percentile(s, 0.95), "requests": s.num_requests}
                for s in env.stats.entries.values()
            ),
            key=lambda e: -e["p95_ms"],
        )[:4],
        "failures": [
            {"name": f.name, "error": str(f.error)[:200], "count": f.occurrences}
            for f in env.stats.errors.values()
        ][:10],
        "commit": harness.commit(),
    }
    runner.quit()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--spawn-rate", type=float, default=2.0, help="users arriving per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured")
    parser.add_argument("--accounts", type=int, default=10, help="distinct login accounts")
    parser.add_argument(
        "--web", default="processes:2", help="daphne | processes:N (daphne) | uvicorn:N"
    )
    parser.add_argument(
        "--client", choices=("fast", "requests"), default="fast", help="FastHttpUser | HttpUser"
    )
    parser.add_argument("--port", type=int, default=8210)
    parser.add_argument(
        "--trace", help="CSV of every measured request: start (s), name, milliseconds, failed"
    )
    args = parser.parse_args()
    # Plain HTTP on 127.0.0.1, as scripts/run.sh serves: cookies without "Secure".
    os.environ["DT_SECURE_COOKIES"] = "0"
    # As scripts/run.sh runs it: a bounded connection pool per process; one proxy in front.
    os.environ.setdefault("DT_DB_POOL_MAX", "10")
    os.environ["DT_TRUSTED_PROXY_COUNT"] = "1"
    started = time.monotonic()
    code = harness.run_bench("load", lambda stack: run(stack, args))
    harness.log(f"load bench done in {time.monotonic() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
