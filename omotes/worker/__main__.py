"""``python -m omotes.worker [--workflows simulator] [--slots 1]``: start a worker; without
``--workflows`` it offers every installed workflow that loads in its venv."""

from __future__ import annotations

import argparse
import os
import signal
import threading

from omotes import heap, logs, metrics
from omotes.worker.runtime import WorkerRuntime
from omotes.workflows import registry


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m omotes.worker")
    parser.add_argument(
        "--workflows",
        default="",
        help="comma-separated workflow names or module:attribute references (default: every "
        "installed workflow that loads here)",
    )
    parser.add_argument("--slots", type=int, default=int(os.environ.get("OMOTES_SLOTS", "1")))
    parser.add_argument("--worker-id", default=os.environ.get("OMOTES_WORKER_ID"))
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=metrics.env_port("OMOTES_METRICS_PORT"),
        help="serve Prometheus metrics on this port (off when absent or 0)",
    )
    args = parser.parse_args(argv)
    logs.configure(process="omotes.worker")

    names = [name.strip() for name in args.workflows.split(",") if name.strip()]
    runtime = WorkerRuntime(
        names or registry.available(),
        slots=args.slots,
        worker_id=args.worker_id,
    )
    metrics.serve(args.metrics_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    heap.settle()
    with logs.bound(worker_id=runtime.worker_id):
        runtime.start()
        stop.wait()
        runtime.stop()


if __name__ == "__main__":
    main()
