"""R7/R13 at scale: latency of the comparison API with 20 full-size jobs stored.

Stores ``--jobs`` synthetic results (``bench/synthetic_jobs.py``: ``--assets`` x 10 quantities x
8,760 hours each, through the simulator's result writer), creates their ``Job`` rows in a
PostgreSQL database of its own (``designtoolkit_bench_compare``, created and dropped here), and
times, for one asset and quantity across ``--variations`` of the jobs:

- ``series_full``: ``GET /api/compare/series/`` at full resolution (``width=10000``: every point);
- ``series_reduced``: the same with ``width=1000`` (min/max per bucket computed by InfluxDB);
- ``series_zoom_week``: one week at ``width=1000`` (full resolution again, as after a zoom);
- ``kpis_cold`` / ``kpis_warm``: ``GET /api/compare/kpis/`` with the KPIs derived from the series
  (InfluxQL aggregates per measurement) and with them cached: jobs from before costing existed;
- ``costing_ms``: costing one job as the events path does when its result arrives
  (``apps.keyfigures.costing``: energies summed in InfluxDB, output ESDL parsed, costs computed);
- ``kpis_costed_cold_ms``: the KPI table once the jobs are costed, with nothing cached: the
  first request of a comparison today.

Requests go through Django in this process (``django.test.Client``: URL routing, permission
filter, serialisation, InfluxDB queries), not over HTTP. Each figure is the median and p95 of
``--repeat`` requests in milliseconds. The query touches one asset in each job's database, so its
cost grows with the points of that asset and the number of jobs, and only weakly (the series
index lookup) with the number of assets per job.

Usage::

    .venv/bin/python bench/compare_query.py                     # 20 jobs x 1,000 assets (~1 h)
    .venv/bin/python bench/compare_query.py --assets 100        # 20 jobs x 100 assets (~6 min)
    .venv/bin/python bench/compare_query.py --keep              # keep the jobs for --reuse
    .venv/bin/python bench/compare_query.py --reuse             # time the jobs kept before

Output: one JSON line on stdout, also written to ``bench/results/compare_query-<UTC ts>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_NAME = os.environ.get("DT_BENCH_DB", "designtoolkit_bench_compare")  # one per engineer
KEPT = ROOT / "bench" / "results" / "compare_query-kept.json"

from bench import harness  # noqa: E402 - after ROOT is on the path
from bench.harness import log, psql  # noqa: E402

os.environ.setdefault("DT_SECRET_KEY", harness.ENV["DT_SECRET_KEY"])
os.environ.update(
    DJANGO_SETTINGS_MODULE="designtoolkit.settings",
    DT_DB_NAME=DB_NAME,
    DT_ALLOWED_HOSTS="testserver,localhost,127.0.0.1",
)


def timed(call, repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {"median": round(statistics.median(samples), 1), "p95": round(p95, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=20, help="jobs stored (20)")
    parser.add_argument("--variations", type=int, default=10, help="jobs compared (10)")
    parser.add_argument("--assets", type=int, default=1000, help="assets per job (1000)")
    parser.add_argument("--hours", type=int, default=8760)
    parser.add_argument("--repeat", type=int, default=30, help="requests per figure (30)")
    parser.add_argument("--keep", action="store_true", help="keep the stored jobs for --reuse")
    parser.add_argument("--reuse", action="store_true", help="time the jobs kept by --keep")
    args = parser.parse_args()

    if not args.reuse:
        psql(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        psql(f'CREATE DATABASE "{DB_NAME}"')
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True
        )
    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client

    from apps.accounts.services import create_user
    from apps.jobs.models import Job
    from apps.models.models import EsdlModel, Project
    from bench.synthetic_jobs import drop_synthetic_jobs, store_synthetic_jobs

    began = time.perf_counter()
    if args.reuse:
        kept = json.loads(KEPT.read_text())
        ids = kept["jobs"]
        args.assets, args.hours = kept["assets"], kept["hours"]
        store_s = None
    else:
        ids = [str(uuid.uuid4()) for _ in range(args.jobs)]
        user = create_user("bench-compare@example.com", "bench-compare-password-2026")
        project = Project.objects.create(owner=user, name="Bench comparison")

        def stored(job) -> None:
            model = EsdlModel.objects.create(
                project=project, name=f"Variation {job.seed}", esdl="", size_bytes=0
            )
            Job.objects.create(
                id=job.job_id,
                owner=user,
                esdl_model=model,
                workflow="synthetic",
                esdl="",
                time_limit_s=3600,
                status=Job.Status.SUCCEEDED,
                finished_at=datetime.now(UTC),
                series=[s.to_dict() for s in job.series],
                output_esdl=job.output_esdl,  # what costing reads, as from a worker
            )
            log(f"stored job {job.seed + 1}/{len(ids)}: {job.values:,} values in {job.seconds} s")

        try:
            store_synthetic_jobs(
                ids, assets=args.assets, hours=args.hours, with_output_esdl=True, on_job=stored
            )
        except BaseException:
            log("storing failed: dropping what was stored")
            drop_synthetic_jobs(ids)
            raise
        store_s = round(time.perf_counter() - began, 1)
        if args.keep:
            KEPT.write_text(json.dumps({"jobs": ids, "assets": args.assets, "hours": args.hours}))

    try:
        jobs = list(Job.objects.filter(pk__in=ids).select_related("owner"))
        compared = [str(j.pk) for j in jobs][: args.variations]
        client = Client()
        client.force_login(jobs[0].owner)
        example = next(s for s in jobs[0].series if s["field"] == "heat_supplied")
        base = {"jobs": compared, "asset_id": example["asset_id"], "field": example["field"]}
        for job in compared:
            cache.delete_many([f"dt:compare:kpis:{job}"])

        def get(url: str, **params) -> dict:
            response = client.get(url, {**base, **params})
            assert response.status_code == 200, response.content[:300]
            return response.json()

        first_began = time.perf_counter()
        full = get("/api/compare/series/", width=10000)  # also caches each series' extent
        first_ms = round((time.perf_counter() - first_began) * 1000, 1)
        reduced = get("/api/compare/series/", width=1000)
        week_start = full["start"] + 24 * 3600 * 100
        week = {"width": 1000, "start": week_start, "end": week_start + 7 * 24 * 3600}
        assert (
            not full["reduced"]
            and reduced["reduced"]
            and not get("/api/compare/series/", **week)["reduced"]
        )

        def kpis_cold() -> None:
            cache.delete_many([f"dt:compare:kpis:{job}" for job in compared])
            get("/api/compare/kpis/")

        kpis_cold_ms = timed(kpis_cold, max(3, args.repeat // 5))
        kpis_warm_ms = timed(lambda: get("/api/compare/kpis/"), args.repeat)
        from apps.keyfigures.costing import cost_finished_job

        costing_s = []
        for job in compared:
            costing_began = time.perf_counter()
            cost_finished_job(job)
            costing_s.append(time.perf_counter() - costing_began)
        costing_ms = {
            "median": round(statistics.median(costing_s) * 1000, 1),
            "max": round(max(costing_s) * 1000, 1),
        }

        result = {
            "jobs_stored": len(ids),
            "variations": len(compared),
            "assets_per_job": args.assets,
            "values_per_job": len(jobs[0].series) * args.hours,
            "asset": example["asset_id"],
            "field": example["field"],
            "points_full": len(full["x"]),
            "points_reduced": len(reduced["x"]),
            "series_full_ms": timed(lambda: get("/api/compare/series/", width=10000), args.repeat),
            "series_reduced_ms": timed(
                lambda: get("/api/compare/series/", width=1000), args.repeat
            ),
            "series_zoom_week_ms": timed(lambda: get("/api/compare/series/", **week), args.repeat),
            "kpis_cold_ms": kpis_cold_ms,
            "kpis_warm_ms": kpis_warm_ms,
            "costing_ms": costing_ms,
            "kpis_costed_cold_ms": timed(kpis_cold, max(3, args.repeat // 5)),
            "first_series_request_ms": first_ms,
            "repeat": args.repeat,
            "store_s": store_s,
            "loadavg": os.getloadavg()[0],
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    finally:
        if not args.keep:
            log("dropping the bench databases")
            drop_synthetic_jobs(ids)
            for job in ids:
                cache.delete_many([f"dt:compare:kpis:{job}"])
            from django.db import connections

            connections.close_all()
            psql(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
            KEPT.unlink(missing_ok=True)
    line = json.dumps(result)
    print(line)
    out = ROOT / "bench" / "results" / f"compare_query-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
