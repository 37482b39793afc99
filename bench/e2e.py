"""End-to-end check of a running Design Toolkit instance through its public REST API.

Why: unit tests do not prove that web app, queue, worker and result store work together. This
script does what a user does (create project, upload ESDL, run a workflow, read the results)
and reports one machine-readable line, so it can run in CI, after a deploy, or as a benchmark.

Usage::

    DT_USER=me@example.org DT_PASSWORD=secret python bench/e2e.py model.esdl
    python bench/e2e.py model.esdl --workflow simulator --url http://127.0.0.1:8000 \\
        --user me@example.org --password secret --timeout 900

``--url``, ``--user`` and ``--password`` default to the environment variables ``DT_URL``
(default ``http://127.0.0.1:8000``), ``DT_USER`` and ``DT_PASSWORD``. Authentication is HTTP
Basic with the account's e-mail address as user name, or an API token (``--token`` /
``DT_TOKEN``, made on the account page), which a script that polls should use: the server checks
a password's hash on every Basic request (about 0.6 s of CPU here, taken from the jobs being
measured), a token's in microseconds.

Output: exactly one JSON line on stdout, also appended to ``bench/results/e2e.jsonl``::

    {"status": "succeeded", "seconds": 12.3, "series": 8, "values": 70080,
     "job_id": "…", "error": "", "kpis": {"lcoh": {"value": 61.2, "unit": "EUR/MWh"}, …}}

``status`` is the job's terminal status (succeeded/failed/cancelled), ``timeout`` when the job
did not finish in time, or ``error`` for HTTP errors, connection problems and bad input.
``seconds`` is wall-clock time from job submission until the terminal status was seen.
``kpis`` (present when the job produced KPIs) maps each KPI's key to its value and unit: the
physical ones, and the costs, LCOH and CO2 the frontend computed from the key figures when the
result arrived. Exit code 0 only when the job succeeded. Needs nothing but ``requests``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
RESULTS_FILE = Path(__file__).resolve().parent / "results" / "e2e.jsonl"
REQUEST_TIMEOUT_S = 60.0
POLL_MIN_S = 0.25
POLL_MAX_S = 1.0  # bounds how much "seconds" can overshoot the real finish


class E2EError(Exception):
    """A failure that ends the run with status "error" (HTTP error, bad input, ...)."""


def _http_error(response: requests.Response) -> E2EError:
    """Describe a 4xx/5xx with method, URL and the start of the body, which usually says why."""
    body = response.text.strip().replace("\n", " ")
    if len(body) > 500:
        body = body[:500] + "…"
    request = response.request
    return E2EError(
        f"HTTP {response.status_code} {response.reason} on {request.method} {request.url}: {body}"
    )


class Client:
    """Thin wrapper around a ``requests.Session`` that turns HTTP errors into ``E2EError``."""

    def __init__(self, base_url: str, user: str, password: str, token: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Token {token}"
        else:
            self.session.auth = (user, password)
        self.session.headers["Accept"] = "application/json"

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        try:
            response = self.session.request(method, url, timeout=REQUEST_TIMEOUT_S, **kwargs)
        except requests.RequestException as exc:
            raise E2EError(f"{method} {url} failed: {exc}") from exc
        if response.status_code >= 400:
            raise _http_error(response)
        try:
            return response.json()
        except ValueError as exc:
            raise E2EError(f"{method} {url}: response is not JSON") from exc

    def get_list(self, path: str) -> list[Any]:
        """GET a list; also follows DRF-style pagination in case the API enables it."""
        data = self.request("GET", path)
        if isinstance(data, list):
            return data
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            items = list(data["results"])
            while data.get("next"):
                data = self.request("GET", data["next"])
                items.extend(data["results"])
            return items
        raise E2EError(f"GET {path}: expected a list, got {type(data).__name__}")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Execute the scenario and return the result record (never raises ``E2EError``)."""
    result: dict[str, Any] = {
        "status": "error",
        "seconds": None,
        "series": 0,
        "values": 0,
        "job_id": None,
        "error": "",
    }
    submitted: float | None = None
    try:
        esdl = Path(args.esdl_path)
        if not esdl.is_file():
            raise E2EError(f"ESDL file not found: {esdl}")
        if not args.token and not (args.user and args.password):
            raise E2EError(
                "credentials missing: pass --token or --user/--password, or set DT_TOKEN or "
                "DT_USER/DT_PASSWORD"
            )
        client = Client(args.url, args.user, args.password, args.token)

        # Check the workflow first: no point creating data for a run that cannot happen.
        workflows = client.get_list("/api/workflows/")
        workflow = next((w for w in workflows if w.get("name") == args.workflow), None)
        if workflow is None or not workflow.get("available"):
            offered = sorted(w.get("name", "?") for w in workflows if w.get("available"))
            state = "unknown" if workflow is None else "not available"
            raise E2EError(f"workflow {args.workflow!r} is {state}; available: {offered}")

        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        project = client.request("POST", "/api/projects/", json={"name": f"e2e {stamp}"})
        with esdl.open("rb") as fh:
            model = client.request(
                "POST",
                "/api/models/",
                data={"project": str(project["id"]), "name": esdl.stem},
                files={"file": (esdl.name, fh, "application/xml")},
            )

        bound_by = time.monotonic() + args.timeout
        while model.get("profiles_status") != "ready":  # bound by the profile binder
            if model.get("profiles_status") == "failed":
                raise E2EError(f"input profiles not bound: {model.get('profiles_error')}")
            if time.monotonic() >= bound_by:
                raise E2EError(
                    f"input profiles not bound after {args.timeout:g} s: is the profile binder "
                    "(manage.py run_profile_binder) running?"
                )
            time.sleep(POLL_MIN_S)
            model = client.request("GET", f"/api/models/{model['id']}/")

        submitted = time.monotonic()
        job = client.request(
            "POST",
            "/api/jobs/",
            json={"model": model["id"], "workflow": args.workflow, "params": {}},
        )
        job_id = str(job["id"])
        result["job_id"] = job_id

        deadline = submitted + args.timeout
        delay = POLL_MIN_S
        status = str(job.get("status", ""))
        while status not in TERMINAL_STATUSES:
            if time.monotonic() >= deadline:
                result["status"] = "timeout"
                result["seconds"] = round(time.monotonic() - submitted, 3)
                result["error"] = (
                    f"job not finished after {args.timeout:g} s (last status {status!r}, "
                    f"progress {job.get('progress')})"
                )
                return result
            time.sleep(min(delay, max(deadline - time.monotonic(), 0.0)))
            delay = min(delay * 1.5, POLL_MAX_S)
            job = client.request("GET", f"/api/jobs/{job_id}/")
            status = str(job.get("status", ""))
        result["seconds"] = round(time.monotonic() - submitted, 3)
        result["status"] = status
        result["error"] = str(job.get("error") or "")

        if status == "succeeded":
            series = client.get_list(f"/api/jobs/{job_id}/series/")
            result["series"] = len(series)
            result["values"] = sum(int(s.get("points") or 0) for s in series)
            kpis = job.get("kpis") or []
            if kpis:
                result["kpis"] = {
                    str(k["key"]): {"value": k.get("value"), "unit": k.get("unit", "")}
                    for k in kpis
                }
        else:
            result["series"] = int(job.get("series_count") or 0)
            result["values"] = int(job.get("value_count") or 0)
    except E2EError as exc:
        result["status"] = "error"
        result["error"] = str(exc)
        if submitted is not None and result["seconds"] is None:
            result["seconds"] = round(time.monotonic() - submitted, 3)
    except (KeyError, TypeError) as exc:  # response lacked a field we rely on
        result["status"] = "error"
        result["error"] = f"unexpected API response: {exc!r}"
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Upload an ESDL file, run a workflow and report one JSON line."
    )
    parser.add_argument("esdl_path", help="ESDL file to upload")
    parser.add_argument("--workflow", default="simulator", help="workflow name (simulator)")
    parser.add_argument(
        "--url", default=os.environ.get("DT_URL", "http://127.0.0.1:8000"), help="base URL"
    )
    parser.add_argument("--user", default=os.environ.get("DT_USER", ""), help="account e-mail")
    parser.add_argument("--password", default=os.environ.get("DT_PASSWORD", ""))
    parser.add_argument("--token", default=os.environ.get("DT_TOKEN", ""), help="API token")
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds to wait for the job (600)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    result = run(parse_args(argv))
    line = json.dumps(result, ensure_ascii=False)
    print(line, flush=True)
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS_FILE.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    return 0 if result["status"] == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
