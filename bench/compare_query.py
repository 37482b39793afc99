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
- ``series_full_cold_ms``: ``series_full`` with the series' copies in Redis removed before each
  request (``apps.results.points``): what the first look at a series costs;
  ``first_series_request_ms`` is the same, once.
- ``breakdown``: where a full-resolution request's time goes, each part timed alone (medians, ms):
  ``influx_json_http`` / ``influx_msgpack_http`` one job's series from InfluxDB as JSON and as
  MessagePack (round trip, undecoded), ``json_decode`` / ``msgpack_decode`` decoding that answer,
  ``influx_read_10`` reading the series of the 10 jobs as the first request does (in parallel,
  decoded), ``redis_points_10`` the same from Redis, ``compare_series_full`` /
  ``compare_series_reduced`` the whole service call with Redis warm, ``document`` building the
  response dict, ``orjson`` / ``drf_serialise`` its JSON by the view's renderer and by DRF's
  serializer and renderer (as before), ``rest`` the request minus the service call and
  serialising (routing, session, permission filter, PostgreSQL).

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


def time_parts(jobs, example: dict, repeat: int) -> dict[str, float]:
    """Medians (ms) of the parts of one full-resolution request, each timed alone."""
    import msgpack
    import orjson
    from rest_framework.renderers import JSONRenderer

    from apps.comparison.api import ChartSerializer, chart_document
    from apps.comparison.services import compare_series, in_parallel
    from apps.results.influx import influx_client
    from apps.results.points import read_points, series_points
    from omotes.influx import quote_identifier, quote_string

    asset_id, field_name = example["asset_id"], example["field"]
    client = influx_client()
    url = f"{client.settings.url}/query"
    influxql = (
        f"SELECT {quote_identifier(field_name)} FROM {quote_identifier(example['measurement'])}"
        f" WHERE {quote_identifier('asset_id')} = {quote_string(asset_id)}"
    )
    params = {"q": influxql, "db": jobs[0].database, "epoch": "s"}

    def http(accept: str) -> bytes:
        return client._session.get(url, params=params, headers={"Accept": accept}).content

    as_json, as_msgpack = http("application/json"), http("application/x-msgpack")

    def median(call) -> float:
        return timed(call, repeat)["median"]

    def read_10() -> None:
        in_parallel(lambda job, c: read_points(job, asset_id, field_name, c), jobs)

    series_points(jobs, asset_id, field_name)  # warm
    chart = compare_series(jobs, asset_id, field_name, width=10000)
    document = chart_document(chart)
    parts = {
        "influx_json_http": median(lambda: http("application/json")),
        "influx_msgpack_http": median(lambda: http("application/x-msgpack")),
        "json_decode": median(lambda: json.loads(as_json)),
        "msgpack_decode": median(lambda: msgpack.unpackb(as_msgpack, strict_map_key=False)),
        "influx_read_10": median(read_10),
        "redis_points_10": median(lambda: series_points(jobs, asset_id, field_name)),
        "compare_series_full": median(
            lambda: compare_series(jobs, asset_id, field_name, width=10000)
        ),
        "compare_series_reduced": median(
            lambda: compare_series(jobs, asset_id, field_name, width=1000)
        ),
        "document": median(lambda: chart_document(chart)),
        "orjson": median(lambda: orjson.dumps(document)),
        "drf_serialise": median(lambda: JSONRenderer().render(ChartSerializer(chart).data)),
    }
    return parts


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

    example: dict | None = None  # the series looked at, whose Redis copies go at the end
    try:
        jobs = list(Job.objects.filter(pk__in=ids).select_related("owner"))
        compared = [str(j.pk) for j in jobs][: args.variations]
        client = Client()
        client.force_login(jobs[0].owner)
        example = next(s for s in jobs[0].series if s["field"] == "heat_supplied")
        base = {"jobs": compared, "asset_id": example["asset_id"], "field": example["field"]}
        for job in compared:
            cache.delete_many([f"dt:compare:kpis:{job}"])

        def forget_compared() -> None:
            from apps.results.points import forget_points

            for job in jobs[: args.variations]:
                forget_points(job.pk, [example])

        forget_compared()

        def get(url: str, **params) -> dict:
            return json.loads(request(url, **params))

        def request(url: str, **params) -> bytes:
            """The answer's body, undecoded: the timed figures are the server's work (a browser
            decodes JSON natively; json.loads of a full chart here took ~20-100 ms more)."""
            response = client.get(url, {**base, **params})
            assert response.status_code == 200, response.content[:300]
            return response.content

        first_began = time.perf_counter()
        first_body = request("/api/compare/series/", width=10000)  # keeps them in Redis
        first_ms = round((time.perf_counter() - first_began) * 1000, 1)
        full = json.loads(first_body)
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
            request("/api/compare/kpis/")

        def series_cold() -> None:
            forget_compared()
            request("/api/compare/series/", width=10000)

        series_full_cold_ms = timed(series_cold, max(3, args.repeat // 5))
        breakdown = time_parts(jobs[: args.variations], example, args.repeat)
        kpis_cold_ms = timed(kpis_cold, max(3, args.repeat // 5))
        kpis_warm_ms = timed(lambda: request("/api/compare/kpis/"), args.repeat)
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
            "series_full_ms": timed(
                lambda: request("/api/compare/series/", width=10000), args.repeat
            ),
            "series_reduced_ms": timed(
                lambda: request("/api/compare/series/", width=1000), args.repeat
            ),
            "series_zoom_week_ms": timed(
                lambda: request("/api/compare/series/", **week), args.repeat
            ),
            "kpis_cold_ms": kpis_cold_ms,
            "kpis_warm_ms": kpis_warm_ms,
            "costing_ms": costing_ms,
            "kpis_costed_cold_ms": timed(kpis_cold, max(3, args.repeat // 5)),
            "first_series_request_ms": first_ms,
            "series_full_cold_ms": series_full_cold_ms,
            "breakdown": breakdown,
            "repeat": args.repeat,
            "store_s": store_s,
            "loadavg": os.getloadavg()[0],
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        parts = result["breakdown"]
        parts["rest"] = round(
            result["series_full_ms"]["median"]
            - parts["compare_series_full"]
            - parts["document"]
            - parts["orjson"],
            1,
        )
    finally:
        if not args.keep:
            log("dropping the bench databases")
            drop_synthetic_jobs(ids)
            from apps.results.points import forget_points

            for job in ids:
                cache.delete_many([f"dt:compare:kpis:{job}"])
                forget_points(job, [example] if example else [])
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
