"""Prometheus metrics of the core, and how a process without a web server exposes its own.

The counters here are counted wherever the code runs: the web app (profile uploads), a worker,
a job's child process. A child is short-lived, so it hands its counts to its worker with its
outcome (:func:`snapshot` in the child, :func:`add` in the worker), and the worker's port shows
them. Processes without a web server (worker, dispatcher, events consumer) serve
``/metrics`` on a port of their own (:func:`serve`); which port is their ``--metrics-port``
(``OMOTES_METRICS_PORT`` / ``DT_METRICS_PORT``), on ``DT_METRICS_ADDR`` (default 127.0.0.1: only
a Prometheus on the same host or network namespace reaches it). deploy/prometheus.yml lists them.
"""

from __future__ import annotations

import logging
import os

from prometheus_client import REGISTRY, Counter, start_http_server

logger = logging.getLogger(__name__)

INFLUX_WRITE_VALUES = Counter(
    "dtk_influx_write_values", "Values written to InfluxDB (job results, input profiles)"
)
INFLUX_ERRORS = Counter(
    "dtk_influx_errors", "InfluxDB requests that failed (after retries)", ["operation"]
)

#: What a child process hands back: counter sample name -> labels -> value.
Snapshot = dict[str, dict[tuple[tuple[str, str], ...], float]]

_CHILD_COUNTERS = {
    "dtk_influx_write_values_total": INFLUX_WRITE_VALUES,
    "dtk_influx_errors_total": INFLUX_ERRORS,
}


def snapshot() -> Snapshot:
    """This process's counts of the counters a child hands to its worker."""
    counts: Snapshot = {}
    for counter in _CHILD_COUNTERS.values():
        for family in counter.collect():
            for sample in family.samples:
                if sample.name in _CHILD_COUNTERS and sample.value:
                    labels = tuple(sorted(sample.labels.items()))
                    counts.setdefault(sample.name, {})[labels] = sample.value
    return counts


def add(counts: Snapshot) -> None:
    """Add a child's :func:`snapshot` to this process's counters."""
    for name, values in counts.items():
        counter = _CHILD_COUNTERS.get(name)
        if counter is None:
            continue
        for labels, value in values.items():
            (counter.labels(**dict(labels)) if labels else counter).inc(value)


def serve(port: int | None) -> None:
    """Serve this process's metrics on ``port`` (nothing when None or 0)."""
    if not port:
        return
    address = os.environ.get("DT_METRICS_ADDR", "127.0.0.1")
    start_http_server(port, addr=address, registry=REGISTRY)
    logger.info("metrics served", extra={"metrics_url": f"http://{address}:{port}/metrics"})


def env_port(*names: str) -> int | None:
    """The first of the environment variables ``names`` that is set, as a port."""
    for name in names:
        if os.environ.get(name):
            return int(os.environ[name])
    return None
