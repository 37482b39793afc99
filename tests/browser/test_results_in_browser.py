"""A job's results as a designer reads them: KPIs and charts in kW/MW and °C, producers stacked
against the demand, a week shown first, ISO dates in the reader's zone, a tooltip at the cursor."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import log_in
from tests.comparison.results import CONSUMER, Asset, drop_written, make_project, store_job
from tests.conftest import ROOT, wait_for

STEPS = 60 * 24  # two months of hours: more than a week, so the chart opens on one
WEEK_S = 7 * 24 * 3600
PRODUCER = Asset("prod-1", "Big boiler", "GenericProducer", ("heat_supplied", "Out.temperature"))
SECOND = Asset("prod-2", "Heat pump park", "GenericProducer", ("heat_supplied",))
HOUSE = Asset("cons-t", "Row of houses", "HeatingDemand", ("In.temperature", "Out.temperature"))


@pytest.fixture
def job(owner):
    project = make_project(owner, "Readable results")
    job = store_job(
        project,
        "District north",
        steps=STEPS,
        assets=(PRODUCER, SECOND, CONSUMER, HOUSE),
        kpis=[{"key": "heat_supplied", "name": "Heat supplied", "value": 398_735.0, "unit": "MWh"}],
    )
    job.esdl_model.summary = {
        "carriers": [
            {
                "id": "hc",
                "name": "Heat",
                "class": "HeatCommodity",
                "supply_temperature": 80.0,
                "return_temperature": 40.0,
            }
        ]
    }
    job.esdl_model.save(update_fields=["summary"])
    yield job
    drop_written()


@pytest.fixture
def page(web_url, owner, browser):
    context = browser.new_context(
        viewport={"width": 1440, "height": 1000}, timezone_id="Europe/Amsterdam"
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("response", lambda r: r.status >= 400 and page.errors.append(f"{r.status} {r.url}"))
    log_in(page, f"{web_url}/accounts/login/", owner.email)
    yield page
    context.close()


def chart(page, name: str) -> dict:
    return page.evaluate(
        """(name) => {
          const u = window.jobCharts[name].main;
          return {
            labels: u.series.slice(1).map((s) => s.label),
            bands: (u.bands || []).length,
            xMin: u.scales.x.min, xMax: u.scales.x.max,
            yMin: u.scales.y.min, yMax: u.scales.y.max,
            first: u.data.slice(1).map((d) => d[0]),
            raw: u.series.slice(1).map((s) => s.dt.raw[0]),
            xLabel: u.axes[0].label, yLabel: u.axes[1].label,
          };
        }""",
        name,
    )


def wait_for_balance(page, series: int) -> None:
    """Until the stacked chart shows ``series`` series (producers and the demand line), with no
    error on the page."""
    wait_for(
        lambda: page.errors or page.get_attribute("#balance-chart", "data-series") == str(series),
        30,
        "balance",
    )
    assert not page.errors


def test_job_page_reads_in_mw_and_celsius_with_producers_stacked_and_a_week_shown(
    job, web_url, page
):
    page.goto(f"{web_url}/jobs/{job.pk}/")
    wait_for_balance(page, series=3)

    # KPIs lead, in the unit their size calls for, with the SI value in the tooltip.
    tile = page.locator("#kpis .kpi-tile").first
    assert tile.locator(".kpi-value").inner_text() == "399 GWh"
    assert tile.get_attribute("title") == "1.43545e+15 J"
    assert (
        page.locator("#kpis").bounding_box()["y"] < page.locator("#job-history").bounding_box()["y"]
    )
    assert "return 40.0 °C" in page.inner_text("#job-carriers")

    # Producers stacked (one band between them) against the total demand, in MW.
    balance = chart(page, "balance")
    assert balance["labels"] == ["Big boiler", "Heat pump park", "Total heat demand (1 consumer)"]
    assert balance["bands"] == 1
    assert balance["yLabel"] == "MW" == page.get_attribute("#balance-chart", "data-unit")
    supplied, stacked, demand = balance["first"]
    assert supplied == pytest.approx(balance["raw"][0] / 1e6)
    assert stacked == pytest.approx((balance["raw"][0] + balance["raw"][1]) / 1e6)
    assert demand == pytest.approx(balance["raw"][2] / 1e6)

    # Hourly data opens on its first week; the strip below shows the whole period.
    assert balance["xMax"] - balance["xMin"] == WEEK_S
    strip = page.evaluate(
        """() => { const o = window.jobCharts.balance.overview;
                   return {points: o.data[0].length, left: o.select.left, width: o.select.width,
                           plot: o.over.clientWidth}; }"""
    )
    assert strip["points"] == STEPS
    assert strip["left"] == pytest.approx(0, abs=1)
    assert strip["width"] == pytest.approx(strip["plot"] * 168 / (STEPS - 1), abs=2)

    # Dragging across the strip shows that period above.
    page.locator("#balance-range").scroll_into_view_if_needed()
    box = page.locator("#balance-range .u-over").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.5, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=6)
    page.mouse.up()
    moved = chart(page, "balance")
    first_s = page.evaluate("() => window.jobCharts.balance.main.data[0][0]")
    span_s = (STEPS - 1) * 3600
    assert moved["xMin"] == pytest.approx(first_s + 0.5 * span_s, abs=span_s * 0.02)
    assert moved["xMax"] == pytest.approx(first_s + 0.6 * span_s, abs=span_s * 0.02)
    page.dblclick("#balance-chart .u-over")  # the whole period
    whole = chart(page, "balance")
    assert whole["xMax"] - whole["xMin"] >= span_s

    # Dates: ISO, in the reader's time zone, which the axis names.
    assert "Europe/Amsterdam" in balance["xLabel"]
    ticks = page.evaluate(
        "() => DTCharts.xAxis().values(null, [1546300800, 1546311600], 0, 0, 3600)"
    )
    assert ticks == ["01:00\n2019-01-01", "04:00"]  # midnight UTC is 01:00 in Amsterdam
    assert page.evaluate("() => DTCharts.xAxis().values(null, [1546300800], 0, 0, 86400)") == [
        "2019-01-01"
    ]

    # The tooltip follows the cursor and gives the SI value beside the readable one.
    page.locator("#balance-chart").scroll_into_view_if_needed()
    box = page.locator("#balance-chart .u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5)
    tip = page.locator("#balance-chart .chart-tooltip")
    tip.wait_for(state="visible")
    assert " MW" in tip.inner_text() and " W)" in tip.inner_text()
    assert re.match(r"2019-\d\d-\d\d \d\d:\d\d\n", tip.inner_text())  # ISO, never US

    (ROOT / "var").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "var" / "job-results.png"), full_page=True)

    # The first producer's supply temperature, flat at 80 °C: °C on an axis around 80.
    wait_for(lambda: page.get_attribute("#chart", "data-unit") == "°C", 30, "asset chart")
    boiler = chart(page, "asset")
    assert boiler["labels"] == ["Supply temperature (Out)"]
    assert boiler["first"] == [pytest.approx(80.0)]
    assert 75 < boiler["yMin"] < 80 < boiler["yMax"] < 85

    # Supply and return temperature of a consumer on one chart.
    page.select_option("#asset-select", "cons-t")
    wait_for(lambda: page.get_attribute("#chart", "data-series") == "2", 30, "the houses' chart")
    houses = chart(page, "asset")
    assert houses["labels"] == ["Supply temperature (In)", "Return temperature (Out)"]
    assert houses["xMax"] - houses["xMin"] == WEEK_S
    assert not page.errors


@pytest.fixture
def signed_job(owner):
    """A producer whose set point is stored negative, as the simulator stores it."""
    asked = Asset("prod-s", "Boiler", "GenericProducer", ("heat_supplied", "heat_supply_set_point"))
    yield store_job(make_project(owner, "Signs"), "Set point", steps=48, assets=(asked, CONSUMER))
    drop_written()


def test_a_producers_heat_and_its_set_point_read_positive_in_the_charts_and_tooltip(
    signed_job, web_url, page
):
    page.goto(f"{web_url}/jobs/{signed_job.pk}/")
    wait_for(
        lambda: page.errors or page.get_attribute("#chart", "data-series") == "2", 30, "asset chart"
    )
    assert not page.errors

    balance = chart(page, "balance")
    assert balance["raw"][0] > 0
    assert balance["first"][0] == pytest.approx(balance["raw"][0] / 1e6)
    asset = chart(page, "asset")  # the producer comes first, with its one group: heat
    assert asset["labels"] == ["Heat supplied", "Heat supply set point"]
    assert asset["yLabel"] == "MW"
    (supplied, set_point), (raw_supplied, raw_set_point) = asset["first"], asset["raw"]
    assert raw_set_point < 0 < raw_supplied  # as stored
    assert supplied == pytest.approx(raw_supplied / 1e6)
    assert set_point == pytest.approx(-raw_set_point / 1e6)
    assert asset["yMin"] > 0  # nothing below zero to draw

    page.locator("#chart").scroll_into_view_if_needed()
    box = page.locator("#chart .u-over").bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] * 0.5)
    tip = page.locator("#chart .chart-tooltip")
    tip.wait_for(state="visible")
    text = tip.inner_text()
    assert re.search(r"Heat supply set point: \d[\d.,]* MW \(\d[\d,]* W\)", text), text
    assert re.search(r"Heat supplied: \d[\d.,]* MW \(\d[\d,]* W\)", text), text


@pytest.fixture
def heat_pump_job(owner):
    """A producer, an air-to-water heat pump (two ports: its heat supplied, its electricity
    already in it), a heat pump between two networks (four ports: its electricity) and a heat
    exchanger (none: it adds no heat, and is not stacked)."""
    air = Asset("hp-2", "Air heat pump", "HeatPump", ("heat_supplied", "electricity_consumption"))
    pump = Asset("hp-4", "Heat pump", "HeatPump", ("electricity_consumption",))
    exchanger = Asset("he-1", "Exchanger", "HeatExchange", ("electricity_consumption",))
    project = make_project(owner, "Two networks")
    assets = (PRODUCER, air, pump, exchanger, CONSUMER)
    yield store_job(project, "Heat pump", steps=48, assets=assets)
    drop_written()


def test_a_heat_pump_between_two_networks_is_stacked_with_the_heat_it_adds(
    heat_pump_job, web_url, page
):
    """It delivers what its primary network's producer made plus its electricity: stacking its
    delivered heat would count the producer's twice, so its electricity is stacked."""
    page.goto(f"{web_url}/jobs/{heat_pump_job.pk}/")
    wait_for_balance(page, series=4)

    balance = chart(page, "balance")
    assert balance["labels"] == [
        "Big boiler",
        "Air heat pump",
        "Heat pump (its electricity)",
        "Total heat demand (1 consumer)",
    ]
    boiler, two, three, _ = balance["first"]
    raw = balance["raw"]
    assert boiler == pytest.approx(raw[0] / 1e6)
    assert two == pytest.approx((raw[0] + raw[1]) / 1e6)
    assert three == pytest.approx((raw[0] + raw[1] + raw[2]) / 1e6)
