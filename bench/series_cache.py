"""The read path of the series copies in Redis (``apps.results.points.series_points``), timed.

A comparison chart reads one series of 10 jobs; once they are copied to Redis, every zoom reads
those 10 copies again. This times that warm read (``hit_10``: 10 copies of a year of hours, all
found) and the first read that stores them (``store_10``: none found, the points given, as after
the InfluxDB read), as medians and p95 of ``--repeat`` calls in milliseconds. No PostgreSQL or
InfluxDB: only the job ids are used, and the points are synthetic.

``--points-module FILE`` times another version of ``apps/results/points.py`` (e.g. the one
before the copies had a bound: ``git show REV:apps/results/points.py > /tmp/before.py``); runs of
both alternate ``--rounds`` times so that a busy machine weighs on each alike.

Usage::

    .venv/bin/python bench/series_cache.py [--points-module /tmp/before.py] [--repeat 300]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designtoolkit.settings")
os.environ.setdefault("DT_SECRET_KEY", "bench-only-" + "x" * 50)
# A prefix of its own: the bench's copies and account never touch the product's.
os.environ.setdefault("DT_SERIES_CACHE_PREFIX", f"dt:bench:points:{uuid.uuid4().hex[:8]}")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402

JOBS = 10
HOURS = 8760


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def percentile(samples: list[float], q: float) -> float:
    return sorted(samples)[min(len(samples) - 1, int(q * len(samples)))]


def time_module(points, repeat: int) -> dict[str, list[float]]:
    series = points.Points(
        1_546_300_800 + 3600 * np.arange(HOURS, dtype=np.int64),
        np.random.default_rng(0).uniform(1e5, 2e6, HOURS),
    )
    samples: dict[str, list[float]] = {"hit_10": [], "store_10": []}
    for _ in range(repeat):
        jobs = [SimpleNamespace(pk=uuid.uuid4()) for _ in range(JOBS)]
        began = time.perf_counter()
        points.series_points(
            jobs, "a", "heat_supplied", read=lambda missing: [series] * len(missing)
        )
        samples["store_10"].append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        got = points.series_points(jobs, "a", "heat_supplied")
        samples["hit_10"].append((time.perf_counter() - began) * 1000)
        assert len(got) == JOBS and got[0].values[5] == series.values[5]
        for job in jobs:
            points.forget_points(job.pk, [{"asset_id": "a", "field": "heat_supplied"}])
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points-module", type=Path, help="another points.py to compare with")
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    versions = {"current": load(ROOT / "apps" / "results" / "points.py", "points_current")}
    if args.points_module:
        versions["other"] = load(args.points_module, "points_other")
    samples: dict[str, dict[str, list[float]]] = {v: {} for v in versions}
    for _ in range(args.rounds):
        for name, module in versions.items():
            for key, values in time_module(module, args.repeat).items():
                samples[name].setdefault(key, []).extend(values)
    out = {
        "load_average": os.getloadavg(),
        "repeat": args.repeat * args.rounds,
        "jobs": JOBS,
        "hours": HOURS,
        **{
            name: {
                key: {
                    "median_ms": round(statistics.median(v), 3),
                    "p95_ms": round(percentile(v, 0.95), 3),
                }
                for key, v in found.items()
            }
            for name, found in samples.items()
        },
    }
    print(json.dumps(out))
    from apps.results import series_cache  # the account's own keys, left empty

    client = series_cache.redis.Redis.from_url(django.conf.settings.REDIS_URL)
    client.delete(
        *(f"{django.conf.settings.SERIES_CACHE_PREFIX}:{k}" for k in ("lru", "size", "bytes"))
    )


if __name__ == "__main__":
    main()
