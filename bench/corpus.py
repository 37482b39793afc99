"""Every ESDL of a directory through a running Design Toolkit: each runs, or is refused with a
reason before it queues.

Why: designers bring models the product has never seen (other tools' test and example sets,
output ESDLs of another system, old versions). This uploads each ``*.esdl`` of DIR through the
REST API, submits the simulator where the model's pre-flight check allows (and checks that it is
refused with a 422 where it does not), waits for the jobs, and counts what happened.

Usage::

    DT_USER=me@example.org DT_PASSWORD=secret python bench/corpus.py DIR \\
        [--url http://127.0.0.1:8000] [--days 7] [--timeout 1800]

``--days``: each job simulates this many days from the start of the model's input profiles
(2019-01-01 without profiles), to keep a corpus run short; 0 runs the whole period.

Output: one JSON line on stdout, also appended to ``bench/results/corpus.jsonl``; the outcome
per file goes to ``bench/results/corpus-files.json``::

    {"files": 61, "uploaded": 55, "refused_with_reason": 40, "ran": 21, "succeeded": 19,
     "failed": 2, "failed_with_traceback": 0, "server_errors": 0, "outbound_attempts": 0, ...}

``refused_with_reason`` counts files refused at upload (400/422 with a reason) or by the
simulator's pre-flight (422 at submit, naming assets); ``failed_with_traceback`` jobs whose error
shows a Python traceback, ``server_errors`` answers 5xx, ``outbound_attempts`` jobs that tried to
connect outside the product (the worker blocks and reports it). Exit code 0 only when those
three are 0. ``bench_errors`` counts answers the script did not expect (e.g. 429 when other
clients exhausted the login limit of the address it calls from).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from e2e import REQUEST_TIMEOUT_S, TERMINAL_STATUSES, Client, E2EError

RESULTS_DIR = Path(__file__).resolve().parent / "results"
WORKFLOW = "simulator"
TRACEBACK_MARKS = ("Traceback (most recent call last)", 'File "/', "line ")
OUTBOUND_MARK = "tried to connect outside the product"


def _shows_traceback(text: str) -> bool:
    return TRACEBACK_MARKS[0] in text or (TRACEBACK_MARKS[1] in text and TRACEBACK_MARKS[2] in text)


def _params(model: dict[str, Any], days: float) -> dict[str, Any]:
    if days <= 0:
        return {}
    period = model.get("summary", {}).get("profile_period") or {}
    start = datetime.fromisoformat(period["start"]) if period.get("start") else None
    start = start or datetime(2019, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=days)
    if period.get("end"):
        end = min(end, datetime.fromisoformat(period["end"]))
    return {"start": start.isoformat(), "end": end.isoformat()}


class Run:
    """The counts and the outcome per file of one corpus run."""

    def __init__(self, client: Client, days: float, timeout: float) -> None:
        self.client = client
        self.days = days
        self.timeout = timeout
        self.counts = dict.fromkeys(
            (
                "files",
                "uploaded",
                "refused_with_reason",
                "refused_without_reason",
                "ran",
                "succeeded",
                "failed",
                "failed_with_traceback",
                "server_errors",
                "outbound_attempts",
                "bench_errors",
            ),
            0,
        )
        self.files: dict[str, dict[str, Any]] = {}

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.client.base_url}{path}"
        return self.client.session.post(url, timeout=REQUEST_TIMEOUT_S, **kwargs)

    def refused(self, name: str, stage: str, response: requests.Response) -> None:
        body = response.json() if "json" in response.headers.get("content-type", "") else {}
        reason = str(body.get("detail") or "")
        self.files[name].update(outcome=f"refused at {stage}", status=response.status_code)
        self.files[name]["reason"] = reason[:1000]
        if body.get("assets"):
            self.files[name]["assets"] = body["assets"][:20]
        key = "refused_with_reason" if reason else "refused_without_reason"
        self.counts[key] += 1

    def upload(self, project: int, path: Path) -> dict[str, Any] | None:
        name = path.name
        self.files[name] = {}
        with path.open("rb") as fh:
            response = self.post(
                "/api/models/",
                data={"project": str(project), "name": path.stem[:200]},
                files={"file": (name, fh, "application/xml")},
            )
        if response.status_code >= 500:
            self.counts["server_errors"] += 1
            self.files[name].update(outcome="server error at upload", status=response.status_code)
            return None
        if response.status_code != 201:
            self.refused(name, "upload", response)
            return None
        self.counts["uploaded"] += 1
        return response.json()

    def submit(self, name: str, model: dict[str, Any]) -> str | None:
        deadline = time.monotonic() + self.timeout
        while model.get("profiles_status") not in ("ready", "failed"):
            if time.monotonic() > deadline:
                self.files[name].update(outcome="input profiles not bound in time")
                return None
            time.sleep(0.5)
            model = self.client.request("GET", f"/api/models/{model['id']}/")
        allowed = not model["summary"].get("preflight", {}).get(WORKFLOW, {}).get("problems")
        self.files[name]["preflight_allows"] = allowed
        response = self.post(
            "/api/jobs/",
            json={"model": model["id"], "workflow": WORKFLOW, "params": _params(model, self.days)},
        )
        if response.status_code >= 500:
            self.counts["server_errors"] += 1
            self.files[name].update(outcome="server error at submit", status=response.status_code)
            return None
        if response.status_code != 201:
            self.refused(name, "submit", response)
            return None
        if not allowed:
            self.files[name]["note"] = "pre-flight at upload refused, yet submit accepted"
        self.counts["ran"] += 1
        return str(response.json()["id"])

    def wait(self, jobs: dict[str, str]) -> None:
        deadline = time.monotonic() + self.timeout
        pending = dict(jobs)
        while pending and time.monotonic() < deadline:
            time.sleep(2)
            for name, job_id in list(pending.items()):
                try:
                    job = self.client.request("GET", f"/api/jobs/{job_id}/")
                except E2EError as exc:  # e.g. a 429: asked again at the next round
                    self.files[name]["last_error"] = str(exc)[:300]
                    continue
                if job.get("status") in TERMINAL_STATUSES:
                    del pending[name]
                    self.finished(name, job)
        for name in pending:
            self.files[name].update(outcome="job not finished in time")
            self.counts["failed"] += 1

    def finished(self, name: str, job: dict[str, Any]) -> None:
        error = str(job.get("error") or "")
        self.files[name].update(outcome=f"job {job['status']}", error=error[:1000])
        if job["status"] == "succeeded":
            self.counts["succeeded"] += 1
            return
        self.counts["failed"] += 1
        if _shows_traceback(error):
            self.counts["failed_with_traceback"] += 1
        if OUTBOUND_MARK in error:
            self.counts["outbound_attempts"] += 1


def run(directory: Path, client: Client, days: float, timeout: float) -> dict[str, Any]:
    started = time.monotonic()
    corpus = Run(client, days, timeout)
    paths = sorted(directory.glob("*.esdl"))
    corpus.counts["files"] = len(paths)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    project = client.request("POST", "/api/projects/", json={"name": f"corpus {stamp}"})
    models = {}
    for path in paths:
        model = corpus.upload(project["id"], path)
        if model is not None:
            models[path.name] = model
    jobs = {}
    for name, model in models.items():
        try:
            job_id = corpus.submit(name, model)
        except E2EError as exc:  # the API answered something unexpected: say so, go on
            corpus.counts["bench_errors"] += 1
            corpus.files[name].update(outcome="bench error", error=str(exc)[:1000])
            continue
        if job_id is not None:
            jobs[name] = job_id
    corpus.wait(jobs)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "corpus-files.json").write_text(json.dumps(corpus.files, indent=1))
    return {
        **corpus.counts,
        "days": days,
        "seconds": round(time.monotonic() - started, 1),
        "directory": str(directory),
        "at": stamp,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="directory of *.esdl files")
    parser.add_argument("--url", default=os.environ.get("DT_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--user", default=os.environ.get("DT_USER", ""))
    parser.add_argument("--password", default=os.environ.get("DT_PASSWORD", ""))
    parser.add_argument("--days", type=float, default=7.0, help="days simulated per job (7)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait (1800)")
    args = parser.parse_args(argv)
    result = run(
        args.directory, Client(args.url, args.user, args.password), args.days, args.timeout
    )
    line = json.dumps(result)
    print(line)
    RESULTS_DIR.mkdir(exist_ok=True)
    with (RESULTS_DIR / "corpus.jsonl").open("a") as fh:
        fh.write(line + "\n")
    bad = result["failed_with_traceback"] + result["server_errors"] + result["outbound_attempts"]
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
