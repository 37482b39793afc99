"""Upload the hostile-input kit to a running instance and count how each file was answered.

Why: one bad upload must not hurt anyone else (an ESDL whose profile ran 50 years once opened
2,100 InfluxDB shards and took every user's jobs down). This sends every file of
``tests/data/hostile/`` (XML bombs, external entities and references, non-XML, odd encodings,
broken ESDL semantics, extreme profile periods; ``expected.json`` says what each is and whether
it must be accepted or refused) plus an over-limit body and an over-long URL, and reports how
the server answered, how long the slowest answer took, and influxd's open files before and
after.

Usage::

    DT_USER=me@example.org DT_PASSWORD=secret python bench/hostile.py [URL]

``URL`` defaults to ``DT_URL`` (``http://127.0.0.1:8000``). It creates a project named
``hostile kit <time>`` for the uploads; the few files that are valid stay in it (``project_id``
in the result: the product offers no way yet to delete a project).

Output: one JSON line on stdout, appended to ``bench/results/hostile.jsonl``::

    {"answers": {"2xx": 3, "4xx": 30}, "unexpected": [], "slowest_s": 0.41,
     "slowest_file": "...", "refusals_over_2s": 0, "influxd_open_files": {"before": 180,
     "after": 181, "limit": 20000}, ...}

``unexpected`` lists the files not answered as ``expected.json`` says (a 5xx, a refusal of a
valid file, an acceptance of a hostile one). Exit code 0 only when it is empty and every
refusal came in under 2 s. influxd's open files are read from ``/proc`` when influxd runs on
this host (``null`` otherwise).
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

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / "tests" / "data" / "hostile"
RESULTS_FILE = ROOT / "bench" / "results" / "hostile.jsonl"
REFUSAL_BUDGET_S = 2.0
OVERSIZE_BYTES = 100 * 1024 * 1024
LONG_URL_CHARS = 100_000


def influxd_open_files() -> dict[str, int | None]:
    """influxd's open file descriptors and its limit, from /proc (None when not found here)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() != "influxd":
                continue
            open_files = len(os.listdir(f"/proc/{pid}/fd"))
            limit = next(
                int(line.split()[3])
                for line in Path(f"/proc/{pid}/limits").read_text().splitlines()
                if line.startswith("Max open files")
            )
            return {"open": open_files, "limit": limit}
        except (OSError, ValueError, StopIteration):
            continue
    return {"open": None, "limit": None}


def answer_class(status: int | None) -> str:
    return "no answer" if status is None else f"{status // 100}xx"


def timed(call) -> tuple[int | None, float, str]:
    """(status or None, seconds, what the server said) of one request."""
    started = time.monotonic()
    try:
        response = call()
    except requests.RequestException as exc:
        return None, time.monotonic() - started, f"{type(exc).__name__}: {exc}"[:300]
    return response.status_code, time.monotonic() - started, response.text[:300]


def run(url: str, user: str, password: str) -> dict[str, Any]:
    session = requests.Session()
    session.auth = (user, password)
    expected = json.loads((KIT / "expected.json").read_text())
    before = influxd_open_files()
    project = session.post(
        f"{url}/api/projects/", json={"name": f"hostile kit {datetime.now(UTC):%H:%M:%S}"}
    )
    project.raise_for_status()
    project_id = project.json()["id"]
    answers: dict[str, int] = {}
    unexpected: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    for name, what in sorted(expected.items()):
        data = (KIT / name).read_bytes()
        status, seconds, said = timed(
            lambda data=data, name=name: session.post(
                f"{url}/api/models/",
                data={"project": project_id},
                files={"file": (name, data, "application/xml")},
                timeout=60,
            )
        )
        files.append({"file": name, "status": status, "seconds": round(seconds, 3)})
        answers[answer_class(status)] = answers.get(answer_class(status), 0) + 1
        wanted = 201 if what["expect"] == "accepted" else None
        ok = status == wanted if wanted else status is not None and 400 <= status < 500
        if not ok:
            unexpected.append({"file": name, "status": status, "said": said})
    oversize = b"x" * OVERSIZE_BYTES
    for name, call, wanted in (
        (
            "100 MB body",
            lambda: session.post(
                f"{url}/api/models/",
                data=oversize,
                headers={"Content-Type": "application/octet-stream"},
                timeout=60,
            ),
            413,
        ),
        (
            "100,000-character URL",
            lambda: session.get(f"{url}/api/projects/?q={'a' * LONG_URL_CHARS}", timeout=60),
            414,
        ),
    ):
        status, seconds, said = timed(call)
        files.append({"file": name, "status": status, "seconds": round(seconds, 3)})
        answers[answer_class(status)] = answers.get(answer_class(status), 0) + 1
        if status != wanted:
            unexpected.append({"file": name, "status": status, "said": said})
    slowest = max(files, key=lambda f: f["seconds"])
    refusals = [f for f in files if f["status"] and 400 <= f["status"] < 500]
    return {
        "answers": answers,
        "unexpected": unexpected,
        "slowest_s": slowest["seconds"],
        "slowest_file": slowest["file"],
        "refusals_over_2s": sum(f["seconds"] > REFUSAL_BUDGET_S for f in refusals),
        "influxd_open_files": {
            "before": before["open"],
            "after": influxd_open_files()["open"],
            "limit": before["limit"],
        },
        "files": files,
        "project_id": project_id,
        "url": url,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("DT_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--user", default=os.environ.get("DT_USER", "demo@example.com"))
    parser.add_argument("--password", default=os.environ.get("DT_PASSWORD", "demo-password-2026"))
    args = parser.parse_args(argv)
    result = run(args.url.rstrip("/"), args.user, args.password)
    line = json.dumps(result)
    print(line)
    RESULTS_FILE.parent.mkdir(exist_ok=True)
    with RESULTS_FILE.open("a") as results:
        results.write(line + "\n")
    return 0 if not result["unexpected"] and not result["refusals_over_2s"] else 1


if __name__ == "__main__":
    sys.exit(main())
