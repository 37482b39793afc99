"""Several web server processes on one port: ``python -m designtoolkit.webprocesses
--processes 2 [--server daphne|uvicorn] -b 127.0.0.1 -p 8000 designtoolkit.asgi:application``.

One ASGI process runs Django's synchronous views in one Python interpreter (a thread per
request in flight, bounded by ``designtoolkit.request_slots``), so it uses at most one core
however many requests wait; ``bench/load.py`` measured it (README, "Operations"). Here the
listening socket is opened once and handed to N server processes (``--fd``); the kernel spreads
new connections over them. The server is ``designtoolkit.webserver`` (daphne with our request
limits at the door) or uvicorn (httptools and uvloop; the same limits are held by
``designtoolkit.request_limits`` inside the application, and websockets by the ``websockets``
library; a development requirement, for the measurement).
Prometheus figures of all of them are summed through ``PROMETHEUS_MULTIPROC_DIR`` (a fresh
folder per start). If one process dies the others are stopped and this exits with an error, so
whoever supervises it (scripts/run.sh's shell, a container's restart policy) sees it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def daphne_command(fd: int, application: str) -> list[str]:
    return [sys.executable, "-m", "designtoolkit.webserver", "--fd", str(fd), application]


def uvicorn_command(fd: int, application: str) -> list[str]:
    """uvicorn as daphne runs here: no lifespan (Django has none), no access log (each request
    has a JSON line of apps.operations), the client address as the socket says (allauth reads
    X-Forwarded-For itself, DT_TRUSTED_PROXY_COUNT), pings on idle websockets as daphne's."""
    return [
        *(sys.executable, "-m", "uvicorn", "--fd", str(fd)),
        *("--lifespan", "off", "--no-access-log", "--no-proxy-headers", "--no-server-header"),
        *("--loop", "uvloop", "--http", "httptools", "--ws", "websockets"),
        *("--ws-ping-interval", "20", "--ws-ping-timeout", "30", "--log-level", "warning"),
        application,
    ]


SERVERS = {"daphne": daphne_command, "uvicorn": uvicorn_command}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m designtoolkit.webprocesses")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--server", choices=sorted(SERVERS), default="daphne")
    parser.add_argument("-b", "--bind", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=8000)
    parser.add_argument("application")
    args = parser.parse_args(argv)

    listener = socket.create_server((args.bind, args.port), backlog=1024)
    metrics_dir = tempfile.mkdtemp(prefix="dt-web-metrics-")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": metrics_dir}
    command = SERVERS[args.server](listener.fileno(), args.application)
    children = [
        subprocess.Popen(command, env=env, pass_fds=[listener.fileno()])
        for _ in range(max(1, args.processes))
    ]
    stopping = False

    def stop(*_) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
