"""The copies of series kept in Redis for charts (apps.results.points): a chart served from them
is the chart InfluxDB gives, they go when the results go, and access is checked as before."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import redis

from apps.comparison.api import ChartSerializer, chart_document
from apps.comparison.services import compare_series
from apps.jobs.services import delete_job
from apps.results import series_cache
from apps.results.influx import influx_client
from apps.results.points import Points, points_key, series_points
from omotes.influx import quote_identifier, quote_string
from tests.comparison.results import HOUR_S, START_S, make_project

pytestmark = pytest.mark.django_db

SERIES = "/api/compare/series/"


def query(jobs, **params) -> dict:
    return {"jobs": [str(j.pk) for j in jobs], **params}


def influx_min_max(job, measurement: str, field_name: str, asset_id: str, bucket_s: int, lo, hi):
    """InfluxDB's own reduction of the raw points: the reference the charts are held to."""
    f = quote_identifier(field_name)
    results = influx_client().query(
        f"SELECT MIN({f}), MAX({f}) FROM {quote_identifier(measurement)} "
        f"WHERE {quote_identifier('asset_id')} = {quote_string(asset_id)} "
        f"AND time >= {lo}s AND time <= {hi}s GROUP BY time({bucket_s}s) fill(none)",
        database=job.database,
    )
    rows = results[0]["series"][0]["values"]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def test_a_chart_from_the_kept_copies_is_the_chart_influxdb_gives(client, owner, variations):
    client.force_login(owner)
    params = query(variations, asset_id="prod-1", field="heat_supplied", width=700)
    keys = [points_key(job.pk, "prod-1", "heat_supplied") for job in variations]
    series_cache.forget(keys)  # another test session may share these job ids

    first = client.get(SERIES, params).json()  # read from InfluxDB, copies kept
    assert None not in series_cache.fetch(keys)
    again = client.get(SERIES, params).json()  # from the copies

    assert again == first
    assert again["reduced"] is True
    for job, series in zip(variations, again["series"], strict=True):
        times, low, high = influx_min_max(
            job,
            "GenericProducer",
            "heat_supplied",
            "prod-1",
            again["bucket_s"],
            again["start"],
            again["end"],
        )
        # InfluxDB dates the first bucket at its epoch-aligned start, before the data; the chart
        # dates it where the data begins (the CSV's first row must not lie before the data).
        assert again["x"][1:] == times[1:]
        assert times[0] < again["x"][0] == again["start"]
        assert series["min"] == low
        assert series["max"] == high


def test_a_zoom_from_the_kept_copies_holds_every_raw_point_of_the_range(client, owner, variations):
    client.force_login(owner)
    client.get(SERIES, query(variations, asset_id="cons-1", field="heat_demand"))
    start, end = START_S + 2000 * HOUR_S + 1, START_S + 2100 * HOUR_S  # not on a point

    chart = client.get(
        SERIES, query(variations, asset_id="cons-1", field="heat_demand", start=start, end=end)
    ).json()

    assert chart["reduced"] is False
    assert chart["x"] == list(range(START_S + 2001 * HOUR_S, end + 1, HOUR_S))
    for job, series in zip(variations, chart["series"], strict=True):
        raw = list(
            influx_client().select_series(
                job.database, "HeatingDemand", "heat_demand", {"asset_id": "cons-1"}
            )
        )
        assert series["values"] == [v for t, v in raw if start <= t <= end]


def test_the_response_is_what_the_documented_serializer_gives(owner, variations, stored_jobs):
    from tests.comparison.results import PRODUCER

    shorter = stored_jobs(variations[0].esdl_model.project, "Short", steps=30, assets=(PRODUCER,))
    jobs = [*variations, shorter]
    for width, field_name, asset_id in (
        (10000, "heat_supplied", "prod-1"),
        (300, "heat_loss", "pipe-1"),
    ):
        chart = compare_series(jobs, asset_id, field_name, width=width)

        assert chart_document(chart) == ChartSerializer(chart).data
    # Series of different lengths: the shorter one is None where it has no point.
    full = chart_document(compare_series(jobs, "prod-1", "heat_supplied", width=10000))
    assert None not in full["series"][3]["values"][:30]
    assert full["series"][3]["values"][30:] == [None] * (len(full["x"]) - 30)


def test_deleting_a_jobs_results_removes_its_copies(client, owner, stored_jobs):
    job = stored_jobs(make_project(owner, "Deleted"), "To delete", steps=72)
    client.force_login(owner)
    assert (
        client.get(SERIES, query([job], asset_id="prod-1", field="heat_supplied")).status_code
        == 200
    )
    key = points_key(job.pk, "prod-1", "heat_supplied")
    assert series_cache.fetch([key]) != [None]

    delete_job(job, by=owner)

    assert series_cache.fetch([key]) == [None]
    assert (
        client.get(SERIES, query([job], asset_id="prod-1", field="heat_supplied")).status_code
        == 404  # its series are gone
    )


def test_deleting_a_jobs_model_removes_its_copies_once_committed(
    owner, stored_jobs, django_capture_on_commit_callbacks
):
    job = stored_jobs(make_project(owner, "Cascade"), "Model deleted", steps=48)
    series_points([job], "pipe-1", "In.temperature")
    key = points_key(job.pk, "pipe-1", "In.temperature")
    assert series_cache.fetch([key]) != [None]

    with django_capture_on_commit_callbacks(execute=True):
        job.esdl_model.delete()

    assert series_cache.fetch([key]) == [None]


def test_kept_copies_do_not_open_a_job_to_others(client, owner, make_user, variations):
    client.force_login(owner)
    params = query(variations, asset_id="prod-1", field="heat_supplied")
    assert client.get(SERIES, params).status_code == 200  # the copies exist now

    client.force_login(make_user())

    assert client.get(SERIES, params).status_code == 404
    assert client.get(SERIES, {**params, "format": "csv"}).status_code == 404


@pytest.mark.parametrize(
    "times", [[], [1_546_300_800], [0, 3600, 7200, 10800], [0, 10, 25, 26], [-3600, 0, 3600]]
)
def test_a_copy_gives_back_the_same_points(times):
    points = Points(np.asarray(times, np.int64), np.linspace(-1e6, 1e-9, len(times)))

    again = Points.from_bytes(points.to_bytes())

    assert again.times.tolist() == times
    assert again.values.tolist() == points.values.tolist()


# --- the bound of the copies (apps.results.series_cache), against the real Redis -------------


@pytest.fixture
def own_copies(settings):
    """A prefix of its own, so the account holds only this test's copies (the product's and other
    sessions' copies share this Redis); removed afterwards."""
    settings.SERIES_CACHE_PREFIX = f"dt:test:points:{uuid.uuid4().hex}"
    yield settings
    client = redis.Redis.from_url(settings.REDIS_URL)
    leftover = list(client.scan_iter(f"{settings.SERIES_CACHE_PREFIX}:*"))
    if leftover:
        client.delete(*leftover)


def keys_in_redis(settings) -> set[str]:
    client = redis.Redis.from_url(settings.REDIS_URL)
    account = {f"{settings.SERIES_CACHE_PREFIX}:{k}" for k in ("lru", "size", "bytes")}
    return {k.decode() for k in client.scan_iter(f"{settings.SERIES_CACHE_PREFIX}:*")} - account


def year_of_hours(level: float) -> Points:
    times = START_S + HOUR_S * np.arange(8760, dtype=np.int64)
    return Points(times, np.full(8760, level))


def test_the_copies_keep_within_their_bound_evicting_the_least_recently_used_first(own_copies):
    keys = [points_key(uuid.uuid4(), "prod-1", "heat_supplied") for _ in range(4)]
    blob = year_of_hours(1e6).to_bytes()
    size = len(keys[0]) + len(blob)
    own_copies.SERIES_CACHE_MAX_BYTES = 3 * size + size // 2  # room for three copies
    for key in keys[:3]:  # one at a time: copies stored together share their time of use
        series_cache.store({key: blob})
    series_cache.fetch(keys[:1])  # the first is used again: the second is now the oldest

    kept = series_cache.store({keys[3]: blob})

    found = series_cache.fetch(keys)
    assert [value is not None for value in found] == [True, False, True, True]
    assert kept == 3 * size <= own_copies.SERIES_CACHE_MAX_BYTES
    assert series_cache.usage() == (3, 3 * size)
    assert keys_in_redis(own_copies) == {keys[0], keys[2], keys[3]}


def test_a_copy_larger_than_the_bound_is_not_kept(own_copies):
    own_copies.SERIES_CACHE_MAX_BYTES = 1000
    key = points_key(uuid.uuid4(), "prod-1", "heat_supplied")

    assert series_cache.store({key: year_of_hours(1e6).to_bytes()}) == 0
    assert series_cache.fetch([key]) == [None]
    assert keys_in_redis(own_copies) == set()


def test_forgetting_copies_gives_their_bytes_back_to_the_bound(own_copies):
    keys = [points_key(uuid.uuid4(), "pipe-1", "heat_loss") for _ in range(3)]
    series_cache.store({key: b"x" * 100 for key in keys})

    assert series_cache.forget(keys[:2]) == 2
    assert series_cache.usage() == (1, len(keys[2]) + 100)


def test_an_evicted_series_is_read_again_from_influxdb(own_copies, variations):
    """Room for the copies of one series of the three jobs: asking for a second evicts the
    first; asking for the first again reads it from InfluxDB, as it is stored there."""
    copy = year_of_hours(0.0).to_bytes()
    own_copies.SERIES_CACHE_MAX_BYTES = (
        3 * (len(points_key(uuid.uuid4(), "prod-1", "x")) + len(copy)) + 500
    )
    supplied = [points_key(job.pk, "prod-1", "heat_supplied") for job in variations]
    first = series_points(variations, "prod-1", "heat_supplied")
    assert None not in series_cache.fetch(supplied)

    series_points(variations, "cons-1", "heat_demand")
    assert series_cache.fetch(supplied) == [None, None, None]  # evicted
    again = series_points(variations, "prod-1", "heat_supplied")

    assert series_cache.usage()[1] <= own_copies.SERIES_CACHE_MAX_BYTES
    for job, points, before in zip(variations, again, first, strict=True):
        raw = list(
            influx_client().select_series(
                job.database, "GenericProducer", "heat_supplied", {"asset_id": "prod-1"}
            )
        )
        assert points.times.tolist() == [t for t, _ in raw] == before.times.tolist()
        assert points.values.tolist() == [v for _, v in raw] == before.values.tolist()
