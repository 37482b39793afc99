"""Clients that ask for a large download and never read it: do they hold the web's request
slots? ``python bench/slow_readers.py [--readers 20] [--assets 1000]``.

Each web process lets ``DT_WEB_REQUEST_SLOTS`` requests into Django at once
(``designtoolkit.request_slots``); a request holds its slot until the application has sent its
answer. If sending waited for the client to read, a few clients that stop reading a large answer
(a job's output ESDL, a CSV export) would hold every slot and stall everyone else on that process.
This bench puts one daphne process in front (as ``scripts/run.sh`` does), makes a job whose output
ESDL is a generated ``--assets`` network, opens ``--readers`` connections that ask for it with a
4 KiB receive buffer and never read, and times ``/api/projects/`` (20 requests, median and
maximum in ms) before and while they stall, with the web process's resident memory before,
while they stall and after they close. Prints one JSON line (also in
``bench/results/slow_readers.jsonl``).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness  # noqa: E402
from bench.served_cost import log_in, served_world  # noqa: E402


def resident_mb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return round(int(status.split("VmRSS:")[1].split()[0]) / 1024)


def run(stack: harness.Stack, args: argparse.Namespace) -> dict[str, Any]:
    from apps.jobs.models import Job
    from apps.jobs.services import submit_job
    from apps.models.models import Project
    from apps.models.services import upload_esdl_model
    from apps.profiles.binding import bind_next_model
    from omotes.esdl_generator import network_text

    server, user, _, host = served_world(stack, args.port, "slow@example.com", "Slow readers")
    network = upload_esdl_model(
        Project.objects.get(owner=user), "large", network_text(args.assets).encode()
    )
    while bind_next_model():
        pass
    network.refresh_from_db()
    job = submit_job(user, network, "sleeper", {"duration_s": 0.1})  # its output: the input
    harness.wait_for(
        lambda: Job.objects.get(pk=job.pk).status == "succeeded", 120, "the job", interval=0.5
    )
    client = log_in(host, user.email)
    download = f"/jobs/{job.pk}/output.esdl"
    size = len(client.get(host + download).content)

    def projects_ms() -> list[float]:
        times = []
        for _ in range(20):
            began = time.perf_counter()
            if client.get(f"{host}/api/projects/", timeout=60).status_code != 200:
                raise RuntimeError("/api/projects/ did not answer 200")
            times.append((time.perf_counter() - began) * 1000)
        return [round(statistics.median(times), 1), round(max(times), 1)]

    before, memory = projects_ms(), [resident_mb(server.pid)]
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    request = f"GET {download} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n".encode()
    readers = []
    for _ in range(args.readers):
        reader = socket.socket()
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        reader.connect(("127.0.0.1", args.port))
        reader.sendall(request)
        readers.append(reader)
    time.sleep(5)
    stalled = projects_ms()
    memory.append(resident_mb(server.pid))
    for reader in readers:
        reader.close()
    time.sleep(2)
    memory.append(resident_mb(server.pid))
    return {
        "readers": args.readers,
        "response_bytes": size,
        "slots": int(
            os.environ.get("DT_WEB_REQUEST_SLOTS") or int(os.environ["DT_DB_POOL_MAX"]) - 2
        ),
        "projects_ms_before": before,
        "projects_ms_while_stalled": stalled,
        "web_rss_mb_before_stalled_after": memory,
        "commit": harness.commit(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=20, help="clients that never read")
    parser.add_argument("--assets", type=int, default=1000, help="size of the downloaded network")
    parser.add_argument("--port", type=int, default=8233)
    args = parser.parse_args()
    os.environ["DT_SECURE_COOKIES"] = "0"  # plain HTTP on 127.0.0.1, as scripts/run.sh serves
    os.environ.setdefault("DT_DB_POOL_MAX", "10")  # as scripts/run.sh runs it
    return harness.run_bench("slow_readers", lambda stack: run(stack, args))


if __name__ == "__main__":
    sys.exit(main())
