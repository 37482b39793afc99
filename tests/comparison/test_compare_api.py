"""The comparison API against real InfluxDB data: full resolution, reduction, CSV, access, KPIs."""

from __future__ import annotations

import csv
import io

import pytest

from apps.results.reduction import reduce_min_max
from apps.results.services import read_series
from tests.comparison.results import HOUR_S, START_S, make_project

pytestmark = pytest.mark.django_db

SERIES = "/api/compare/series/"
OPTIONS = "/api/compare/options/"


def query(jobs, **params) -> dict:
    return {"jobs": [str(j.pk) for j in jobs], **params}


def test_a_short_range_comes_back_at_full_resolution(client, owner, variations):
    client.force_login(owner)
    start, end = START_S + 100 * HOUR_S, START_S + 171 * HOUR_S

    chart = client.get(
        SERIES, query(variations, asset_id="prod-1", field="heat_supplied", start=start, end=end)
    ).json()

    assert chart["reduced"] is False
    assert chart["x"] == list(range(start, end + 1, HOUR_S))
    for job, series in zip(variations, chart["series"], strict=True):
        raw = [
            v for t, v in read_series(job, "prod-1", "heat_supplied").points if start <= t <= end
        ]
        assert series["values"] == raw
        assert series["job"] == str(job.pk)
    assert [s["label"] for s in chart["series"]] == ["Base", "Bigger", "Smaller"]


def test_a_year_is_reduced_to_min_and_max_per_bucket_exactly_as_from_the_raw_points(
    client, owner, variations
):
    client.force_login(owner)

    chart = client.get(
        SERIES, query(variations, asset_id="prod-1", field="heat_supplied", width=600)
    ).json()

    assert chart["reduced"] is True
    assert len(chart["x"]) <= 601
    for job, series in zip(variations, chart["series"], strict=True):
        raw = read_series(job, "prod-1", "heat_supplied").points
        expected = reduce_min_max([t for t, _ in raw], [v for _, v in raw], chart["bucket_s"])
        # Epoch-aligned buckets; the first is dated where the data begins, not before it.
        assert chart["x"] == [max(expected.times[0], START_S), *expected.times[1:]]
        assert series["min"] == pytest.approx(expected.minimum, rel=1e-12)
        assert series["max"] == pytest.approx(expected.maximum, rel=1e-12)
        # The extremes of the whole year survive the reduction.
        assert min(series["min"]) == min(v for _, v in raw)
        assert max(series["max"]) == max(v for _, v in raw)


def test_zooming_in_brings_every_point_of_the_range(client, owner, variations):
    client.force_login(owner)
    params = query(variations, asset_id="pipe-1", field="In.temperature", width=500)
    overview = client.get(SERIES, params).json()
    start = START_S + 1000 * HOUR_S
    end = start + 30 * 24 * HOUR_S

    detail = client.get(SERIES, {**params, "start": start, "end": end}).json()

    assert overview["reduced"] is True
    assert detail["reduced"] is False
    assert len(detail["x"]) == 30 * 24 + 1
    assert detail["unit"] == "K"


def test_the_csv_holds_exactly_what_the_chart_shows(client, owner, variations):
    client.force_login(owner)
    for extra in ({"width": 300}, {"start": START_S, "end": START_S + 47 * HOUR_S}):
        params = query(variations, asset_id="cons-1", field="heat_demand", **extra)
        chart = client.get(SERIES, params).json()

        response = client.get(SERIES, {**params, "format": "csv"})

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        header, body = rows[0], rows[1:]
        assert [int(r[1]) for r in body] == chart["x"]
        if chart["reduced"]:
            assert header[2:4] == ["Base min [W]", "Base max [W]"]
            columns = [c for s in chart["series"] for c in (s["min"], s["max"])]
        else:
            assert header[2:] == ["Base [W]", "Bigger [W]", "Smaller [W]"]
            columns = [s["values"] for s in chart["series"]]
        for i, column in enumerate(columns):
            assert [float(r[2 + i]) for r in body] == column


def test_no_csv_row_is_dated_before_the_data_or_the_range_asked(client, owner, variations):
    client.force_login(owner)
    start = START_S + 5 * HOUR_S + 17  # not on any bucket boundary
    for extra in ({}, {"start": start, "end": start + 300 * 24 * HOUR_S}):
        params = query(variations, asset_id="cons-1", field="heat_demand", width=300, **extra)

        response = client.get(SERIES, {**params, "format": "csv"})

        body = list(csv.reader(io.StringIO(response.content.decode())))[1:]
        times = [int(row[1]) for row in body]
        assert times[0] >= max(START_S, extra.get("start", START_S)), times[:3]
        assert body[0][0] >= "2019-01-01T00:00:00Z"
        assert times == sorted(set(times))


def test_chart_and_options_name_the_quantity_for_people(client, owner, variations):
    client.force_login(owner)

    chart = client.get(SERIES, query(variations, asset_id="pipe-1", field="In.temperature")).json()
    options = client.get(OPTIONS, query(variations)).json()

    assert chart["quantity"] == {
        "key": "temperature",
        "name": "Temperature at In",
        "description": "Water temperature at the port.",
        "group": "temperature",
        "si_unit": "K",
        "shown_sign": 1,
    }
    producer = next(a for a in options if a["asset_id"] == "prod-1")
    assert producer["asset_class_name"] == "Producer"
    assert producer["fields"][0]["name"] == "Heat supplied"
    assert producer["fields"][0]["group"] == "heat"
    assert producer["fields"][0]["unit"] == "W"  # values stay SI


def test_model_names_cannot_become_spreadsheet_formulas_in_the_csv(client, owner, stored_jobs):
    from tests.comparison.results import PRODUCER

    project = make_project(owner, "Names")
    jobs = [
        stored_jobs(project, name, steps=48, assets=(PRODUCER,))
        for name in ('=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTab", "Plain")
    ]
    client.force_login(owner)
    params = query(
        jobs, asset_id="prod-1", field="heat_supplied", start=START_S, end=START_S + HOUR_S
    )

    response = client.get(SERIES, {**params, "format": "csv"})

    text = response.content.decode()
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[2:] == [
        '\'=HYPERLINK("http://x") [W]',
        "'+1 [W]",
        "'-2 [W]",
        "'@SUM(A1) [W]",
        "'\tTab [W]",
        "Plain [W]",
    ]
    assert '"\'=HYPERLINK(""http://x"") [W]"' in text.splitlines()[0]  # quoted by the csv module
    assert all(float(value) > 0 for row in rows for value in row[2:])  # numbers stay numbers


def test_a_job_of_someone_else_is_a_404(client, owner, make_user, variations, stored_jobs):
    stranger = make_user()
    theirs = stored_jobs(make_project(stranger, "Theirs"), "Theirs", steps=24)
    client.force_login(owner)

    mixed = query([variations[0], theirs], asset_id="prod-1", field="heat_supplied")
    for url in (SERIES, "/api/compare/kpis/", "/api/compare/options/"):
        assert client.get(url, mixed).status_code == 404, url
    client.force_login(stranger)
    assert (
        client.get(SERIES, query(variations, asset_id="prod-1", field="heat_supplied")).status_code
        == 404
    )


@pytest.mark.parametrize(
    "params, message",
    [
        ({"jobs": [], "asset_id": "prod-1", "field": "heat_supplied"}, "jobs"),
        ({"jobs": ["not-a-uuid"], "asset_id": "prod-1", "field": "heat_supplied"}, "jobs"),
        ({"asset_id": "prod-1"}, "field"),
        ({"field": "heat_supplied"}, "asset_id"),
        ({"asset_id": "prod-1", "field": "heat_supplied", "width": 3}, "width"),
        ({"asset_id": "prod-1", "field": "heat_supplied", "width": "wide"}, "width"),
        ({"asset_id": "prod-1", "field": "heat_supplied", "start": 20, "end": 10}, "before"),
        ({"asset_id": "prod-1", "field": "heat_supplied", "start": -5}, "start"),
    ],
)
def test_bad_parameters_are_a_400_saying_which(client, owner, variations, params, message):
    client.force_login(owner)
    params = {"jobs": [str(variations[0].pk)], **params}

    response = client.get(SERIES, params)

    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_a_job_without_results_is_a_400(client, owner, variations):
    running = variations[1]
    running.status = running.Status.RUNNING
    running.save()
    client.force_login(owner)

    response = client.get(SERIES, query(variations, asset_id="prod-1", field="heat_supplied"))

    assert response.status_code == 400
    assert "running" in response.json()["detail"]


def test_a_variation_without_the_asset_is_marked_missing_and_an_unknown_series_is_a_404(
    client, owner, variations, stored_jobs
):
    from tests.comparison.results import PRODUCER

    without_pipe = stored_jobs(
        variations[0].esdl_model.project, "No pipe", steps=48, assets=(PRODUCER,)
    )
    client.force_login(owner)

    chart = client.get(
        SERIES, query([variations[0], without_pipe], asset_id="pipe-1", field="heat_loss")
    ).json()
    unknown = client.get(SERIES, query(variations, asset_id="pipe-1", field="nothing"))

    assert [s["missing"] for s in chart["series"]] == [False, True]
    assert chart["series"][1]["min"] is None and chart["series"][1]["values"] is None
    assert unknown.status_code == 404


def test_options_list_assets_with_their_quantities(client, owner, variations):
    client.force_login(owner)

    options = client.get("/api/compare/options/", query(variations)).json()

    pipe = next(o for o in options if o["asset_id"] == "pipe-1")
    assert pipe["jobs"] == 3
    assert [f["field"] for f in pipe["fields"]] == ["heat_loss", "In.temperature"]


def test_kpi_table_puts_variations_side_by_side_with_differences_to_the_baseline(
    client, owner, stored_jobs
):
    project = make_project(owner)

    def kpi(value: float) -> list[dict]:
        return [{"key": "heat_delivered", "name": "Heat delivered", "value": value, "unit": "MWh"}]

    jobs = [
        stored_jobs(project, f"V{i}", steps=24, kpis=kpi(v))
        for i, v in enumerate([100.0, 120.0, 90.0])
    ]
    client.force_login(owner)

    table = client.get("/api/compare/kpis/", {**query(jobs), "baseline": str(jobs[0].pk)}).json()
    other_base = client.get(
        "/api/compare/kpis/", {**query(jobs), "baseline": str(jobs[2].pk)}
    ).json()

    row = table["rows"][0]
    assert table["baseline"] == str(jobs[0].pk)
    assert [v["label"] for v in table["variations"]] == ["V0", "V1", "V2"]
    assert row["values"] == [100.0, 120.0, 90.0]
    assert row["difference"] == [0.0, 20.0, -10.0]
    assert row["difference_percent"] == pytest.approx([0.0, 20.0, -10.0])
    assert other_base["rows"][0]["difference"] == [10.0, 30.0, 0.0]


def test_kpis_of_a_simulation_only_job_are_derived_from_its_series(client, owner, variations):
    client.force_login(owner)

    table = client.get("/api/compare/kpis/", query(variations)).json()

    rows = {r["key"]: r for r in table["rows"]}
    for job, supplied in zip(variations, rows["heat_supplied"]["values"], strict=True):
        points = read_series(job, "prod-1", "heat_supplied").points
        assert supplied == pytest.approx(sum(v for _, v in points) * HOUR_S / 3.6e9)
    peak = rows["peak_supply"]["values"][0]
    assert peak == pytest.approx(
        max(v for _, v in read_series(variations[0], "prod-1", "heat_supplied").points) / 1e6
    )
    assert rows["heat_supplied"]["difference_percent"][1] == pytest.approx(10.0, abs=0.01)
    assert {"heat_delivered", "heat_loss", "loss_share", "full_load_hours"} <= set(rows)


def test_a_baseline_outside_the_jobs_is_a_400(client, owner, variations):
    client.force_login(owner)

    response = client.get(
        "/api/compare/kpis/", {**query(variations[:2]), "baseline": str(variations[2].pk)}
    )

    assert response.status_code == 400


def test_the_comparison_api_is_in_the_schema(client, owner):
    client.force_login(owner)

    schema = client.get("/api/schema/", {"format": "json"}).json()

    assert {"/api/compare/series/", "/api/compare/kpis/", "/api/compare/options/"} <= set(
        schema["paths"]
    )


def test_a_job_whose_results_are_gone_is_a_404_not_an_error(client, owner, variations):
    from apps.jobs.models import Job

    gone = Job.objects.create(
        owner=owner,
        esdl_model=variations[0].esdl_model,
        workflow="simulator",
        esdl="",
        time_limit_s=60,
        status=Job.Status.SUCCEEDED,
        series=variations[0].series,
    )
    client.force_login(owner)

    response = client.get(SERIES, query([gone], asset_id="prod-1", field="heat_supplied"))

    assert response.status_code == 404
    assert "gone" in response.json()["detail"]
