"""R3: time to store one full-size job (1,000 assets x 10 quantities x 8,760 hours = 87.6 M values).

Why: a simulation's result is written once, but at full scale the write is most of a job's
time after the model itself, and its figures decide the InfluxDB schema, batching and encoding
(see ``omotes/results.py``). This script stores one synthetic job through the ``synthetic``
workflow's writing code (:func:`omotes.workflows.synthetic.write_synthetic`, which is the
simulator's writer :func:`omotes.results.write_outputs`) and, in the same run against the same
server, measures the server's raw ceiling: the same lines, encoded before the clock starts,
sent with the same batch size and number of connections, once before and once after the job
(``ceiling_runs_s``; the mean counts). ``ratio_to_ceiling`` is
``values_per_s / ceiling_values_per_s`` (1.0 = encoding costs nothing).

Usage::

    .venv/bin/python bench/ingest.py                  # full size, about 5-12 minutes
    .venv/bin/python bench/ingest.py --assets 50      # quick run
    .venv/bin/python bench/ingest.py --keep           # leave the job database for inspection

InfluxDB from ``OMOTES_INFLUX_URL`` / ``_USERNAME`` / ``_PASSWORD`` (an admin account: the
script creates and drops the databases ``bench_ingest_<hex>`` and ``bench_ingest_raw_<hex>``).
Bytes on disk are read with ``du`` from the server's data and WAL directories
(``--influx-dir``, default ``/var/lib/influxdb``), so the script must run on the InfluxDB host
with read access there; otherwise they are reported as null.

Output: one JSON line on stdout, also written to ``bench/results/ingest-<UTC timestamp>.json``::

    {"values": 87600000, "seconds": 95.1, "values_per_s": 921000, "bytes_per_value": 2.9,
     "ceiling_seconds": 70.2, "ceiling_values_per_s": 1248000, "ratio_to_ceiling": 0.74, ...}

- ``seconds``: ``write_synthetic`` from start to end: computing the values, encoding, sending,
  and adding the 10,000 output profiles to the ESDL (``output_esdl_s`` is the extra time to
  serialise that ESDL, not included).
- ``bytes_on_disk`` / ``bytes_per_value``: the job database's TSM files plus its WAL right after
  the verification query; ``tsm_bytes`` alone too (the WAL holds the last ~25 MB uncompressed
  until InfluxDB snapshots it after 10 minutes without writes).
- ``line_bytes_per_value``: size of the line protocol sent, per value.
- ``client_cpu_s``: CPU seconds this process used while storing (encoding, HTTP).
- ``loadavg``: the machine's 1-minute load at start and end; this machine has 2 cores shared
  with other engineers' test runs, so figures vary from run to run: compare medians.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import esdl  # noqa: E402

from omotes.esdl_generator import generate_network  # noqa: E402
from omotes.influx import InfluxClient, InfluxSettings  # noqa: E402
from omotes.results import (  # noqa: E402
    BATCH_LINES,
    JOB_SHARD_DURATION,
    WRITERS,
    Timeline,
    encode_asset,
    plan_outputs,
)
from omotes.workflows.synthetic import (  # noqa: E402
    DEFAULT_START,
    TIMESTEP_S,
    quantities_for,
    synthetic_values,
    write_synthetic,
)

RESULTS_DIR = ROOT / "bench" / "results"


def log(message: str) -> None:
    print(f"[ingest {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def disk_bytes(influx_dir: Path, database: str) -> tuple[int | None, int | None]:
    """(TSM + index bytes, WAL bytes) of one database, or (None, None) when unreadable."""
    sizes = []
    for sub in ("data", "wal"):
        path = influx_dir / sub / database
        if not path.exists():
            sizes.append(0)
            continue
        try:
            out = subprocess.run(
                ["du", "-s", "--block-size=1", str(path)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            sizes.append(int(out.split()[0]))
        except (OSError, subprocess.CalledProcessError, ValueError):
            return None, None
    return sizes[0], sizes[1]


def pre_encode(energy_system: Any, hours: int, quantities: int, seed: int) -> list[bytes]:
    """The job's line protocol as the HTTP bodies the writer sends (BATCH_LINES lines at most)."""
    assets = [o for o in energy_system.eAllContents() if isinstance(o, esdl.Asset)]
    columns = [(p.id, q) for a in assets if a.port for p, q in quantities_for(a, quantities)]
    outputs = plan_outputs(energy_system, columns)
    start_s = int(DEFAULT_START.timestamp())
    timeline = Timeline.of(start_s + i * TIMESTEP_S for i in range(hours))
    return [
        body.data
        for output in outputs
        for body in encode_asset(output, synthetic_values(output, hours, seed), timeline)
    ]


def send_bodies(settings: InfluxSettings, database: str, bodies: list[bytes], writers: int) -> None:
    """The ceiling: only HTTP, ``writers`` connections, each with its own client."""
    local = threading.local()

    def send(body: bytes) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = InfluxClient(settings)
        client.write_body(database, body)

    with ThreadPoolExecutor(max_workers=writers) as pool:
        for future in [pool.submit(send, body) for body in bodies]:
            future.result()


def ceiling(
    client: InfluxClient, settings: InfluxSettings, database: str, bodies: list[bytes]
) -> float:
    """Seconds to send ``bodies`` into a fresh ``database`` (dropped afterwards)."""
    client.create_database(database, shard_duration=JOB_SHARD_DURATION)
    log(f"ceiling: sending {len(bodies)} bodies")
    started = time.perf_counter()
    send_bodies(settings, database, bodies, WRITERS)
    seconds = time.perf_counter() - started
    client.drop_database(database)
    return seconds


def count_values(client: InfluxClient, database: str) -> int:
    total = 0
    for result in client.query("SELECT COUNT(*) FROM /.*/", database=database):
        for series in result.get("series", []):
            total += sum(int(v or 0) for v in series["values"][0][1:])
    return total


def loadavg() -> float:
    return round(os.getloadavg()[0], 2)


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = InfluxSettings.from_env()
    client = InfluxClient(settings)
    client.ping()
    influx_dir = Path(args.influx_dir)
    tag = uuid.uuid4().hex[:12]
    job_db, raw_db = f"bench_ingest_{tag}", f"bench_ingest_raw_{tag}"
    values = args.assets * args.quantities * args.hours
    result: dict[str, Any] = {
        "assets": args.assets,
        "quantities": args.quantities,
        "hours": args.hours,
        "values": values,
        "batch_lines": BATCH_LINES,
        "writers": WRITERS,
        "shard_duration": JOB_SHARD_DURATION,
        "cores": os.cpu_count(),
        "loadavg_start": loadavg(),
        "note": "2 cores shared with other engineers' test runs; compare medians",
    }
    log(f"generating a network of {args.assets} assets")
    handler = generate_network(args.assets, seed=args.seed)
    try:
        # The ceiling: pre-encoded bodies, only HTTP on the clock. Measured before and after
        # the job (mean of both), since the load of this shared machine drifts.
        log("pre-encoding the ceiling's line protocol")
        bodies = pre_encode(handler.energy_system, args.hours, args.quantities, args.seed)
        result["line_bytes_per_value"] = round(sum(map(len, bodies)) / values, 2)
        ceilings = [ceiling(client, settings, raw_db, bodies)]

        # The job: values computed, encoded and written by the synthetic workflow's code.
        log("storing the job through write_synthetic")
        cpu, started = time.process_time(), time.perf_counter()
        series = write_synthetic(
            handler.energy_system,
            client,
            job_db,
            hours=args.hours,
            quantities=args.quantities,
            seed=args.seed,
        )
        seconds = time.perf_counter() - started
        result["client_cpu_s"] = round(time.process_time() - cpu, 1)
        result["seconds"] = round(seconds, 2)
        result["values_per_s"] = round(values / seconds)
        started = time.perf_counter()
        output_esdl = handler.to_string()
        result["output_esdl_s"] = round(time.perf_counter() - started, 2)
        result["output_esdl_mb"] = round(len(output_esdl) / 1e6, 1)
        result["series"] = len(series)

        ceilings.append(ceiling(client, settings, raw_db, bodies))
        del bodies
        ceiling_s = sum(ceilings) / len(ceilings)
        result["ceiling_runs_s"] = [round(c, 2) for c in ceilings]
        result["ceiling_seconds"] = round(ceiling_s, 2)
        result["ceiling_values_per_s"] = round(values / ceiling_s)
        result["ratio_to_ceiling"] = round(ceiling_s / seconds, 3)

        # 3. Everything arrived, and what it takes on disk.
        log("verifying the count")
        started = time.perf_counter()
        result["stored_values"] = count_values(client, job_db)
        result["verify_s"] = round(time.perf_counter() - started, 1)
        tsm, wal = disk_bytes(influx_dir, job_db)
        result["tsm_bytes"], result["wal_bytes"] = tsm, wal
        if tsm is not None and wal is not None:
            result["bytes_on_disk"] = tsm + wal
            result["bytes_per_value"] = round((tsm + wal) / values, 3)
            result["tsm_bytes_per_value"] = round(tsm / values, 3)
        else:
            result["bytes_on_disk"] = result["bytes_per_value"] = None
    finally:
        for database in (raw_db, job_db):
            if database == job_db and args.keep:
                log(f"kept {job_db}")
                continue
            try:
                client.drop_database(database)
            except Exception as exc:  # report, and still print the result
                log(f"could not drop {database}: {exc}")
    result["loadavg_end"] = loadavg()
    result["ok"] = result.get("stored_values") == values
    result["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time storing one full-size synthetic job.")
    parser.add_argument("--assets", type=int, default=1000, help="assets in the network (1000)")
    parser.add_argument("--quantities", type=int, default=10, help="series per asset (10)")
    parser.add_argument("--hours", type=int, default=8760, help="hourly values per series")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--influx-dir", default="/var/lib/influxdb", help="InfluxDB's data root")
    parser.add_argument("--keep", action="store_true", help="do not drop the job database")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    result = run(parse_args(argv))
    line = json.dumps(result)
    print(line, flush=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS_DIR / f"ingest-{stamp}.json").write_text(line + "\n", encoding="utf-8")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
