"""P6: how much longer does a simulation take through the product than the simulator alone?

Starts the product's processes in the bench world of :mod:`harness` (web server on
``--port``, dispatcher, events consumer, profile binder, one ``simulator`` worker), then
alternates, ``--repeat`` times each (after one product warm-up run that is not counted):

- **product**: what a user does through the REST API: upload the ESDL, wait for its input
  profiles to be bound, submit a ``simulator`` job, wait until it succeeded. ``product_s`` runs
  from the upload request to the job's ``finished_at`` (the moment the product recorded the
  result; the client's polling delay is left out and shown as ``seen_lag_s``).
- **alone**: the simulator library on the ESDL the worker got for the product run before it
  (``Job.esdl``: same model, input profiles in the same InfluxDB database), in a fresh Python
  process: parse the ESDL with pyesdl, ``SimulationManager(...).execute()``. The input profiles
  are read through :func:`omotes.workflows.simulator_profiles.profiles_from`, as in the worker (the
  simulator's own reader cannot log in to our InfluxDB). Imports happen before the clock starts.

Usage::

    DT_BENCH_DB_NAME=dt_overhead .venv/bin/python bench/overhead.py MODEL.esdl \\
        [--repeat 3] [--port 8105] [--auth token|basic]

Output: one JSON line on stdout, also appended to ``bench/results/overhead.jsonl``::

    {"model": "test1", "alone_s": 21.0, "product_s": 22.1, "ratio": 1.05,
     "extra_s": {"upload": 0.3, "profile_binding": 0.5, ...}, "runs": [...], "load": [...]}

``extra_s`` splits the product's median run into where its time went, from the job's own
records (``created_at``, ``dispatched_at``, ``started_at``, ``finished_at`` and the timings the
job process logs in its ``log_tail``):

- ``upload``: the upload request; ``profile_binding``: upload answered to profiles ready (as the
  client polled it); ``submit``: the job submit request (job ESDL prepared);
- ``queue_wait``: job created to started on the worker (dispatch included);
- ``child_start``: run started to the job process ready to run the workflow;
- ``esdl_load``: the workflow's own ESDL parsing and checks before the simulation;
- ``simulation_vs_alone``: the simulation in the worker minus ``alone_s`` (machine noise);
  ``simulation_cpu_vs_alone`` the same in CPU seconds of the simulating process (near 0 when
  the job process does the same work; a wall difference well above it is CPU taken by others);
- ``result_writing``: output series to InfluxDB and the output ESDL;
- ``event_handling``: the workflow's end to the result recorded (result sent through RabbitMQ,
  costed and stored by the events consumer).

Each run also has ``cpu_s``: CPU seconds each of the stack's processes used while it was timed
(``web``, ``events``, ``dispatcher``, ``profiles``, ``worker`` with its job processes), the
whole ``machine``'s (everyone's, all cores) and the run's ``wall`` time: on 2 cores, CPU that the
product spends around a job is taken from the simulation.

The client signs its requests with an API token (``--auth token``, what a script should use);
``--auth basic`` sends the e-mail address and password on every request instead, which makes
the server check the password hash (PBKDF2, 1 M rounds, about 0.4 s of CPU) for each poll.

``overhead_s`` is the median of ``product_s`` minus the simulation inside the worker: all the
product adds, in seconds, which a busy machine disturbs less than it does the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__:
    from . import harness
else:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import harness

import requests

POLL_S = 0.25
GET_ATTEMPTS = 30
#: The timings the job process logs (omotes.worker.child, omotes.workflows.simulator), as
#: "timing: <phase> took <seconds> s", with " (cpu <seconds> s)" where the phase measures it.
PHASE_LINE = re.compile(
    r"timing: (?P<phase>[a-z_]+) took (?P<seconds>[0-9.]+) s(?: \(cpu (?P<cpu>[0-9.]+) s\))?"
)


# -- CPU used by the stack's processes ----------------------------------------------------------

_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # ended meanwhile
        return None
    return text.rsplit(")", 1)[1].split()  # fields from the 3rd (state) on; comm may hold spaces


def session_cpu_s(sessions: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each session of ``sessions`` (name -> session id): every live
    process in it, with the children it has reaped (utime + stime + cutime + cstime). Each
    stack process leads a session of its own, so its job processes and web server processes
    count for it."""
    by_session = {sid: name for name, sid in sessions.items()}
    used = dict.fromkeys(sessions, 0.0)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(entry.name)
        if fields is None or int(fields[3]) not in by_session:  # fields[3]: session id
            continue
        used[by_session[int(fields[3])]] += sum(int(f) for f in fields[11:15]) * _TICK_S
    return used


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (all cores, everyone's processes)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) * _TICK_S


class CpuMeter:
    """CPU used by the stack's processes and by the machine between :meth:`start` and
    :meth:`stop`: where the CPU went while one run was timed."""

    def __init__(self, stack: harness.Stack) -> None:
        self.sessions = {name: process.pid for name, process in stack.processes.items()}

    def start(self) -> None:
        self._before = session_cpu_s(self.sessions)
        self._machine = machine_busy_s()
        self._wall = time.monotonic()

    def stop(self) -> dict[str, float]:
        after = session_cpu_s(self.sessions)
        used = {name: round(after[name] - self._before[name], 2) for name in self.sessions}
        used["machine"] = round(machine_busy_s() - self._machine, 2)
        used["wall"] = round(time.monotonic() - self._wall, 2)
        return used


# -- the simulator alone (in its own process) --------------------------------------------------


def alone(esdl_path: str) -> dict[str, float]:
    """Run the simulator library on an ESDL file; the seconds of parsing and simulation."""
    from omotes_simulator_core.entities.esdl_object import EsdlObject
    from omotes_simulator_core.entities.simulation_configuration import SimulationConfiguration
    from omotes_simulator_core.infrastructure.simulation_manager import SimulationManager

    from omotes.influx import InfluxClient, InfluxSettings
    from omotes.workflows.base import load_esdl
    from omotes.workflows.simulator import run_settings
    from omotes.workflows.simulator_profiles import profiles_from

    text = Path(esdl_path).read_text()
    client = InfluxClient(InfluxSettings.from_env())
    started = time.perf_counter()
    handler, energy_system = load_esdl(text)
    settings = run_settings({}, energy_system)
    config = SimulationConfiguration(
        simulation_id=__import__("uuid").uuid4(),
        name="alone",
        timestep=settings.timestep_s,
        start=settings.start,
        stop=settings.stop,
    )
    loaded = time.perf_counter()
    cpu_began = time.process_time()
    with profiles_from(client):
        frame = SimulationManager(EsdlObject(handler), config).execute(lambda *_: None)
    done = time.perf_counter()
    return {
        "alone_s": round(done - started, 3),
        "load_s": round(loaded - started, 3),
        "simulate_cpu_s": round(time.process_time() - cpu_began, 3),
        "rows": len(frame.index),
    }


def run_alone(stack: harness.Stack, esdl_path: Path) -> dict[str, Any]:
    output = subprocess.run(
        [harness.PYTHON, __file__, "--alone", str(esdl_path)],
        cwd=esdl_path.parent,  # the solver may write dump.csv into the working directory
        env=stack.env,
        check=True,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


# -- the product, through its API --------------------------------------------------------------


class Api:
    """A client of the REST API that sends an API token (``token``) or, with ``password``, the
    user's e-mail address and password on every request (HTTP Basic: the server checks the
    password hash, ~1 M rounds of PBKDF2, for each request)."""

    def __init__(self, base_url: str, user: str, *, token: str = "", password: str = "") -> None:
        self.base_url = base_url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Token {token}"
        else:
            self.session.auth = (user, password)
        self.session.headers["Accept"] = "application/json"

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; a GET is tried again for a while on a 5xx or a lost connection (a
        shared machine's PostgreSQL runs out of connections now and then)."""
        for attempt in range(GET_ATTEMPTS if method == "GET" else 1):
            if attempt:
                time.sleep(1.0)
            try:
                response = self.session.request(method, self.base_url + path, timeout=120, **kwargs)
            except requests.RequestException as exc:
                failure = f"{method} {path}: {exc}"
                continue
            if response.status_code < 500:
                break
            failure = f"{method} {path}: HTTP {response.status_code} {response.text[:300]}"
        else:
            raise RuntimeError(failure)
        if response.status_code >= 400:
            raise RuntimeError(
                f"{method} {path}: HTTP {response.status_code} {response.text[:300]}"
            )
        return response.json()


def logged_phases(log_tail: str) -> dict[str, float]:
    """The "timing: <phase> took <s> s" lines of a job's log (the last of each phase); a
    phase's CPU time, where logged, as "<phase>_cpu"."""
    phases = {}
    for match in PHASE_LINE.finditer(log_tail):
        phases[match["phase"]] = float(match["seconds"])
        if match["cpu"] is not None:
            phases[f"{match['phase']}_cpu"] = float(match["cpu"])
    return phases


def run_product(api: Api, project_id: str, esdl_path: Path, timeout_s: float) -> dict[str, Any]:
    from apps.jobs.models import Job

    t0 = time.time()
    with esdl_path.open("rb") as fh:
        model = api.call(
            "POST",
            "/api/models/",
            data={"project": project_id, "name": f"{esdl_path.stem} {secrets.token_hex(2)}"},
            files={"file": (esdl_path.name, fh, "application/xml")},
        )
    t_uploaded = time.time()
    while model.get("profiles_status") != "ready":
        if model.get("profiles_status") == "failed":
            raise RuntimeError(f"profiles not bound: {model.get('profiles_error')}")
        time.sleep(POLL_S / 2)
        model = api.call("GET", f"/api/models/{model['id']}/")
    t_bound = time.time()
    job = api.call(
        "POST", "/api/jobs/", json={"model": model["id"], "workflow": "simulator", "params": {}}
    )
    t_submitted = time.time()
    deadline = time.monotonic() + timeout_s
    while job["status"] not in ("succeeded", "failed", "cancelled"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"job {job['id']} not done after {timeout_s} s")
        time.sleep(POLL_S)
        job = api.call("GET", f"/api/jobs/{job['id']}/")
    t_seen = time.time()
    if job["status"] != "succeeded":
        raise RuntimeError(f"job {job['id']} {job['status']}: {job.get('error')}")
    record = Job.objects.get(pk=job["id"])
    created = record.created_at.timestamp()
    started = record.started_at.timestamp()
    finished = record.finished_at.timestamp()
    phases = logged_phases(record.log_tail)
    in_child = sum(phases.get(p, 0.0) for p in ("child_start", "workflow"))
    return {
        "job_id": str(record.pk),
        "esdl": record.esdl,
        "product_s": round(finished - t0, 3),
        "seen_lag_s": round(t_seen - finished, 3),
        "worker_s": round(finished - started, 3),
        "upload": round(t_uploaded - t0, 3),
        "profile_binding": round(t_bound - t_uploaded, 3),
        "submit": round(t_submitted - t_bound, 3),
        "submit_to_created": round(created - t_bound, 3),
        "dispatch": round(record.dispatched_at.timestamp() - created, 3),
        "queue_wait": round(started - created, 3),
        "phases": phases,
        "event_handling": round(finished - started - in_child, 3) if phases else None,
    }


def breakdown(
    product: dict[str, Any], alone_s: float, alone_cpu_s: float | None
) -> dict[str, float | None]:
    phases = product["phases"]

    def phase(name: str) -> float | None:
        return phases.get(name)

    simulate = phase("simulate")
    writing = [phase("write_results"), phase("output_esdl")]
    return {
        "upload": product["upload"],
        "profile_binding": product["profile_binding"],
        "submit": product["submit"],
        "queue_wait": product["queue_wait"],
        "child_start": phase("child_start"),
        "esdl_load": phase("load_esdl"),
        "simulation_vs_alone": round(simulate - alone_s, 3) if simulate is not None else None,
        "simulation_cpu_vs_alone": (
            round(phases["simulate_cpu"] - alone_cpu_s, 3)
            if "simulate_cpu" in phases and alone_cpu_s is not None
            else None
        ),
        "result_writing": round(sum(w for w in writing if w is not None), 3),
        "event_handling": product["event_handling"],
    }


def run(args: argparse.Namespace, stack: harness.Stack) -> dict[str, Any]:
    from apps.accounts.services import create_api_token, create_user
    from apps.jobs.workflows import offered_workflows

    esdl_path = Path(args.model).resolve()
    stack.start(
        "web",
        "-m",
        "designtoolkit.webprocesses",
        "--processes",
        "1",
        "-b",
        "127.0.0.1",
        "-p",
        str(args.port),
        "designtoolkit.asgi:application",
    )
    stack.start_events()
    stack.start("dispatcher", "manage.py", "run_dispatcher")
    stack.start("profiles", "manage.py", "run_profile_binder")
    stack.start("worker", "-m", "omotes.worker", "--workflows", "simulator")
    base_url = f"http://127.0.0.1:{args.port}"
    harness.wait_for(
        lambda: "simulator" in offered_workflows(), 120, "the simulator worker", interval=0.2
    )

    def web_up() -> bool:
        try:
            return requests.get(base_url + "/health/", timeout=5).status_code < 500
        except requests.RequestException:
            return False

    harness.wait_for(web_up, 60, "the web server", interval=0.2)
    email = f"overhead-{secrets.token_hex(3)}@bench.test"
    user = create_user(email, harness.PASSWORD)
    if args.auth == "token":
        _, key = create_api_token(user, "overhead bench", None)
        api = Api(base_url, email, token=key)
    else:
        api = Api(base_url, email, password=harness.PASSWORD)
    project = api.call("POST", "/api/projects/", json={"name": "Overhead bench"})
    project_id = str(project["id"])
    scratch = harness.RESULTS_DIR / "overhead-logs"

    products: list[dict[str, Any]] = []
    last: dict[str, Any] = {}
    if args.warm_up:
        harness.log("warm-up product run (not counted)")
        last = run_product(api, project_id, esdl_path, args.timeout)
    alones: list[dict[str, Any]] = []
    loads: list[str] = []
    alone_first = bool(last)  # the alone run needs a job's ESDL
    meter = CpuMeter(stack)
    for index in range(args.repeat):
        # Alternate which goes first, so drift in the machine's load hits both alike.
        order = ("alone", "product") if (index % 2 == 0) == alone_first else ("product", "alone")
        for kind in order:
            loads.append(os.getloadavg().__repr__())
            meter.start()
            if kind == "alone":
                job_esdl = scratch / "job.esdl"
                job_esdl.write_text(last["esdl"])
                measured = run_alone(stack, job_esdl)
                measured["cpu_s"] = meter.stop()
                alones.append(measured)
                harness.log(
                    f"run {index + 1}: alone {measured['alone_s']} s, cpu {measured['cpu_s']}"
                )
            else:
                last = run_product(api, project_id, esdl_path, args.timeout)
                last["cpu_s"] = meter.stop()
                products.append(last)
                harness.log(
                    f"run {index + 1}: product {last['product_s']} s "
                    f"(worker {last['worker_s']} s, phases {last['phases']}, cpu {last['cpu_s']})"
                )
    alone_s = statistics.median(a["alone_s"] for a in alones)
    alone_cpus = [a["simulate_cpu_s"] for a in alones if "simulate_cpu_s" in a]
    alone_cpu_s = statistics.median(alone_cpus) if alone_cpus else None
    product_s = statistics.median(p["product_s"] for p in products)
    median_run = sorted(products, key=lambda p: p["product_s"])[len(products) // 2]
    for product in products:
        product.pop("esdl", None)
    return {
        "model": esdl_path.stem,
        "auth": args.auth,
        "alone_s": round(alone_s, 3),
        "product_s": round(product_s, 3),
        "ratio": round(product_s / alone_s, 3),
        "worker_s": round(statistics.median(p["worker_s"] for p in products), 3),
        "worker_ratio": round(statistics.median(p["worker_s"] for p in products) / alone_s, 3),
        "extra_s": breakdown(median_run, alone_s, alone_cpu_s),
        # Product time that is not the simulation itself (median over runs): on a busy machine
        # this is steadier than the ratio, whose two sides each carry the load's noise.
        "overhead_s": round(
            statistics.median(p["product_s"] - p["phases"]["simulate"] for p in products), 3
        ),
        "repeat": args.repeat,
        "alone_runs": alones,
        "product_runs": products,
        "loadavg": loads,
        "loadavg_end": os.getloadavg(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="ESDL file, e.g. ../shared/esdl/test1.esdl")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=int(os.environ.get("DT_PORT", "8105")))
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--no-warm-up",
        dest="warm_up",
        action="store_false",
        help="no uncounted product run first (the first pair then runs product first)",
    )
    parser.add_argument(
        "--auth",
        choices=("token", "basic"),
        default="token",
        help="how the client signs its requests: an API token (what a script should use) or "
        "HTTP Basic (the password checked on every request)",
    )
    parser.add_argument("--alone", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.alone:
        print(json.dumps(alone(args.model)), flush=True)
        return 0
    # Production timings for the worker's heartbeat (the harness's default is for chaos tests).
    harness.ENV.update({"OMOTES_HEARTBEAT_S": "5", "DT_WORKER_TIMEOUT_S": "30"})
    harness.ENV["DT_SECURE_COOKIES"] = "0"
    harness.ENV["DT_INFLUX_PROFILES_DB"] = os.environ.get(
        "DT_BENCH_PROFILES_DB", "overhead_profiles"
    )
    return harness.run_bench("overhead", lambda stack: run(args, stack))


if __name__ == "__main__":
    sys.exit(main())
