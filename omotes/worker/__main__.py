"""``python -m omotes.worker [--workflows simulator] [--slots 1]``: start a worker; without
``--workflows`` it offers every installed workflow that loads in its venv."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading

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
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("OMOTES_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("pika").setLevel(logging.WARNING)

    names = [name.strip() for name in args.workflows.split(",") if name.strip()]
    runtime = WorkerRuntime(
        names or registry.available(),
        slots=args.slots,
        worker_id=args.worker_id,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    runtime.start()
    stop.wait()
    runtime.stop()


if __name__ == "__main__":
    main()
