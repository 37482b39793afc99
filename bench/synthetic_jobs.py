"""Store full-size synthetic job results directly in InfluxDB, without the job pipeline.

For benchmarks that need many stored jobs (``bench/compare_query.py``: 20 jobs of 87.6 M values):
each job id gets its database ``job_<uuid hex>`` written by the ``synthetic`` workflow's code
(:func:`omotes.workflows.synthetic.write_synthetic`, i.e. the simulator's result writer) for one
generated network, each with its own seed so the variations differ. No PostgreSQL, no worker:
create the ``Job`` rows yourself (``series`` and ``output_esdl`` from the returned records).

From Python::

    from bench.synthetic_jobs import store_synthetic_jobs, drop_synthetic_jobs
    stored = store_synthetic_jobs([uuid.uuid4() for _ in range(20)], assets=1000)
    ...
    drop_synthetic_jobs([s.job_id for s in stored])

From the shell (prints one JSON line per job: job id, database, values, seconds)::

    .venv/bin/python bench/synthetic_jobs.py --jobs 3 --assets 50 --hours 8760
    .venv/bin/python bench/synthetic_jobs.py --drop JOB_ID [JOB_ID ...]

One full-size job takes about 1.5-3 minutes and ~0.5-0.7 GB of disk on this 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from esdl.esdl_handler import EnergySystemHandler  # noqa: E402

from omotes.esdl_generator import network_text  # noqa: E402
from omotes.influx import InfluxClient, InfluxSettings  # noqa: E402
from omotes.protocol import SeriesDescription, job_database  # noqa: E402
from omotes.workflows.synthetic import DEFAULT_START, write_synthetic  # noqa: E402


@dataclass
class StoredJob:
    """What one stored synthetic job left: its database, series and output ESDL."""

    job_id: uuid.UUID
    database: str
    seed: int
    series: list[SeriesDescription] = field(default_factory=list)
    output_esdl: str = ""
    seconds: float = 0.0

    @property
    def values(self) -> int:
        return sum(s.points for s in self.series)


def store_synthetic_jobs(
    job_ids: Sequence[uuid.UUID | str],
    *,
    esdl_text: str | None = None,
    assets: int = 1000,
    quantities: int = 10,
    hours: int = 8760,
    start: datetime = DEFAULT_START,
    seed: int = 0,
    client: InfluxClient | None = None,
    replace: bool = True,
    with_output_esdl: bool = True,
    on_job: Callable[[StoredJob], None] | None = None,
) -> list[StoredJob]:
    """Write one synthetic result per job id into ``job_<hex>``; returns what was stored.

    ``esdl_text`` is the model every job ran on (default: a generated network of ``assets``
    assets, the same for all jobs). Job ``i`` uses seed ``seed + i``, so values differ between
    jobs but are the same on every call. ``replace`` drops an existing database first (else the
    new points overwrite the old ones at the same times). ``with_output_esdl`` returns each job's
    output ESDL (~10 MB at full size: it references every series) -- ``False`` saves memory.
    ``on_job`` is called after each job (progress). InfluxDB from the environment by default.
    """
    client = client or InfluxClient(InfluxSettings.from_env())
    text = esdl_text if esdl_text is not None else network_text(assets)
    stored: list[StoredJob] = []
    for i, raw_id in enumerate(job_ids):
        job_id = raw_id if isinstance(raw_id, uuid.UUID) else uuid.UUID(str(raw_id))
        job = StoredJob(job_id=job_id, database=job_database(job_id), seed=seed + i)
        if replace:
            client.drop_database(job.database)
        handler = EnergySystemHandler()
        energy_system = handler.load_from_string(text)
        began = time.perf_counter()
        job.series = write_synthetic(
            energy_system,
            client,
            job.database,
            hours=hours,
            quantities=quantities,
            start=start,
            seed=job.seed,
            add_profiles=with_output_esdl,
        )
        job.seconds = round(time.perf_counter() - began, 2)
        if with_output_esdl:
            job.output_esdl = handler.to_string()
        stored.append(job)
        if on_job is not None:
            on_job(job)
    return stored


def drop_synthetic_jobs(
    job_ids: Sequence[uuid.UUID | str], client: InfluxClient | None = None
) -> None:
    """Drop the databases of these jobs (a no-op for those that do not exist)."""
    client = client or InfluxClient(InfluxSettings.from_env())
    for raw_id in job_ids:
        client.drop_database(job_database(uuid.UUID(str(raw_id))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Store synthetic job results in InfluxDB.")
    parser.add_argument("--jobs", type=int, default=1, help="new random job ids (1)")
    parser.add_argument("--job-id", action="append", default=[], help="use this job id")
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--quantities", type=int, default=10)
    parser.add_argument("--hours", type=int, default=8760)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--drop", nargs="+", metavar="JOB_ID", help="drop these jobs instead")
    args = parser.parse_args(argv)
    if args.drop:
        drop_synthetic_jobs(args.drop)
        return 0
    ids = args.job_id or [str(uuid.uuid4()) for _ in range(args.jobs)]

    def report(job: StoredJob) -> None:
        line = {
            "job_id": str(job.job_id),
            "database": job.database,
            "seed": job.seed,
            "series": len(job.series),
            "values": job.values,
            "seconds": job.seconds,
        }
        print(json.dumps(line), flush=True)

    store_synthetic_jobs(
        ids,
        assets=args.assets,
        quantities=args.quantities,
        hours=args.hours,
        seed=args.seed,
        with_output_esdl=False,
        on_job=report,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
