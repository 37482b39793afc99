"""Comparing three variations in a real browser: legend on/off, zoom to full resolution, KPIs."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in
from tests.comparison.results import HOUR_S, START_S, drop_written, make_project, store_job
from tests.conftest import ROOT, wait_for

STEPS = 8760


@pytest.fixture
def three_variations(owner):
    project = make_project(owner, "District heating")
    base = store_job(project, "Base", steps=STEPS)
    jobs = [
        base,
        store_job(project, "More insulation", scale=0.8, steps=STEPS, variation_of=base.esdl_model),
        store_job(project, "Bigger producer", scale=1.2, steps=STEPS, variation_of=base.esdl_model),
    ]
    yield project, jobs
    drop_written()


@pytest.fixture
def page(web_url, owner, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1100})
    log_in(page, f"{web_url}/accounts/login/", owner.email)
    return page


def chart_state(page) -> dict:
    return page.evaluate(
        """() => {
          const u = window.compareChart;
          const el = document.getElementById("compare-chart");
          return {
            lengths: u.data.map((d) => d.length),
            shown: u.series.slice(1).map((s) => s.show),
            labels: u.series.slice(1).map((s) => s.label),
            reduced: el.dataset.reduced, points: Number(el.dataset.points),
            start: Number(el.dataset.start), end: Number(el.dataset.end),
            fetches: Number(el.dataset.fetches),
          };
        }"""
    )


def test_three_variations_switch_on_and_off_and_zoom_to_full_resolution(
    three_variations, web_url, page
):
    project, jobs = three_variations
    page.goto(f"{web_url}/projects/{project.pk}/")
    page.click("#compare-link")
    page.wait_for_selector("#compare-chart canvas")
    wait_for(lambda: page.get_attribute("#compare-chart", "data-reduced") == "true", 30, "chart")

    # A year of hourly points in ~1,200 px: min/max buckets, two plotted points per bucket.
    overview = chart_state(page)
    assert overview["labels"] == ["Base", "Bigger producer", "More insulation"]  # by name
    assert overview["points"] < STEPS / 4
    assert overview["lengths"] == [2 * overview["points"]] * 4
    assert overview["shown"] == [True, True, True]
    # Read in MW; each variation's buckets are a translucent min/max band in an Okabe-Ito colour.
    assert page.get_attribute("#compare-chart", "data-unit") == "MW"
    paint = page.evaluate(
        "() => window.compareChart.series.slice(1).map((s) => [s._stroke, s._fill])"
    )
    assert paint == [
        ["#0072B2", "rgba(0, 114, 178, 0.25)"],
        ["#E69F00", "rgba(230, 159, 0, 0.25)"],
        ["#009E73", "rgba(0, 158, 115, 0.25)"],
    ]

    # Switch the second variation off from the legend, and on again. The legend lists only the
    # variations (values at the cursor are in the tooltip, not in a row for the time).
    legend = page.locator("#compare-chart .u-legend .u-series")
    assert legend.count() == 3
    legend.nth(1).click()
    assert chart_state(page)["shown"] == [True, False, True]
    legend.nth(1).click()
    assert chart_state(page)["shown"] == [True, True, True]
    legend.nth(2).click()  # and leave the third one off through the zoom

    # Drag across 5% of the plot: about 18 days, which the server sends at full resolution.
    box = page.locator("#compare-chart .u-over").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.40, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.45, y, steps=8)
    page.mouse.up()
    wait_for(lambda: page.get_attribute("#compare-chart", "data-reduced") == "false", 30, "zoom")

    zoomed = chart_state(page)
    hours = [t for t in range(START_S, START_S + STEPS * HOUR_S, HOUR_S)]
    expected = [t for t in hours if zoomed["start"] <= t <= zoomed["end"]]
    assert zoomed["fetches"] == overview["fetches"] + 1
    assert 200 < len(expected) < 2 * 1280
    assert zoomed["lengths"] == [len(expected)] * 4
    assert page.evaluate("window.compareChart.data[0]") == expected
    assert zoomed["shown"] == [True, True, False]
    csv_href = page.get_attribute("#csv-link", "href")
    assert "format=csv" in csv_href and f"start={zoomed['start']}" in csv_href

    # The KPI table, derived from the series, against the first variation as baseline.
    page.wait_for_selector("#kpi-table tr[data-kpi=heat_supplied]")
    row = page.inner_text("#kpi-table tr[data-kpi=heat_supplied]")
    assert "-20.0 %" in row and "+20.0 %" in row
    (ROOT / "var").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "var" / "compare-page.png"), full_page=True)
