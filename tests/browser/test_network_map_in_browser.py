"""The network map on a finished simulation's job page, in Debian's chromium: an asset's
results on a click, and the colouring following the chosen result."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in
from tests.conftest import ROOT, bind_profiles, serve_web, wait_for
from tests.corpus import generated_network
from tests.jobs.test_end_to_end import wait_until_done
from tests.models.test_upload_api import upload


@pytest.fixture
def live_url(stack, transactional_db) -> str:
    yield serve_web(stack)
    stack.kill("web")


@pytest.fixture
def finished_job(api, project, simulator_worker) -> str:
    """A real simulator run of a generated 10-asset network over one week."""
    model = upload(api, project, "network", generated_network(10))
    assert model.status_code == 201, model.content
    bind_profiles(model.json()["id"])
    job = api.post(
        "/api/jobs/",
        {
            "model": model.json()["id"],
            "workflow": "simulator",
            "params": {"start": "2019-01-01T00:00:00+00:00", "end": "2019-01-07T23:00:00+00:00"},
        },
        format="json",
    )
    assert job.status_code == 201, job.content
    state = wait_until_done(api, job.json()["id"], 300)
    assert state["status"] == "succeeded", state["error"]
    return state["id"]


def pipe_colours(page) -> dict[str, str]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll("#network-map .network-pipe")]
             .map((path) => [path.dataset.assetId, path.getAttribute("stroke")]))"""
    )


def test_click_on_an_asset_shows_its_results_and_the_colouring_follows_the_chosen_result(
    owner, finished_job, live_url, browser
):
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    log_in(page, f"{live_url}/accounts/login/", owner.email)
    page.goto(f"{live_url}/jobs/{finished_job}/")
    click_assets_and_change_the_colouring(page)


def click_assets_and_change_the_colouring(page) -> None:
    page.wait_for_selector("#network-map .network-pipe")
    assert page.get_attribute("#network-map", "data-layout") == "geographic"
    assert page.inner_text("#network-asset-count") == "10"
    # Coloured by the first result on offer (heat loss, mean over the week) once it is read.
    wait_for(
        lambda: page.get_attribute("#network-map", "data-coloured-by") == "heat_loss:mean",
        30,
        "the map coloured by heat loss",
    )
    by_heat_loss = pipe_colours(page)
    assert len(by_heat_loss) == 4 and "none" not in by_heat_loss.values()
    assert "heat loss" in page.inner_text("#network-scale")

    # A click on a consumer's symbol: its properties, and its results over the period.
    symbol = page.locator('#network-map .network-symbol[title^="HeatingDemand"]').first
    demand_id = symbol.get_attribute("data-asset-id")
    symbol.click()
    page.wait_for_selector("#network-asset-outputs")
    assert page.get_attribute("#network-asset", "data-asset-id") == demand_id
    assert "HeatingDemand" in page.inner_text("#network-asset")
    assert "power" in page.inner_text("#network-asset .network-properties")
    outputs = page.inner_text("#network-asset-outputs")
    assert "heat_demand" in outputs and "kW" in outputs  # watts scaled for reading

    # A row of the asset table selects its asset too.
    page.locator("#network-assets tbody tr", has_text="GenericProducer").first.click()
    page.wait_for_selector("#network-asset-outputs tr[data-field=heat_supplied]")

    # The same for a pipe, clicked on the map: its heat loss summary.
    pipe_id = page.evaluate(
        """() => [...document.querySelectorAll("#network-map .network-pipe")]
             .find((path) => path.getBBox().width > 20 && path.getBBox().height > 0)
             .dataset.assetId"""
    )
    page.locator(f'#network-map .network-pipe[data-asset-id="{pipe_id}"]').click(force=True)
    wait_for(lambda: page.get_attribute("#network-asset", "data-asset-id") == pipe_id, 10, "pipe")
    page.wait_for_selector("#network-asset-outputs tr[data-field=heat_loss]")

    # Another result: the colours follow.
    page.select_option("#network-quantity", "inlet.temperature")
    wait_for(
        lambda: page.get_attribute("#network-map", "data-coloured-by") == "inlet.temperature:mean",
        30,
        "the map coloured by temperature",
    )
    by_temperature = pipe_colours(page)
    # Supply pipes are hotter than return pipes: two ends of the scale, not one colour.
    assert len(set(by_temperature.values())) > 1
    assert by_temperature != by_heat_loss
    assert "°C" in page.inner_text("#network-legend")

    # And a moment on the time slider instead of the period's mean.
    page.select_option("#network-quantity", "heat_loss")
    page.select_option("#network-aggregate", "at")
    page.locator("#network-time").fill("30")
    wait_for(
        lambda: (
            page.get_attribute("#network-map", "data-coloured-by")
            == "heat_loss:at:2019-01-02T06:00:00Z"
        ),
        30,
        "the map coloured by heat loss at one hour",
    )
    # Its "chart" button shows that series in the job's chart, with its group of quantities.
    # (Last: the chart scrolls the page away from the map.)
    page.locator("#network-assets tbody tr", has_text="GenericProducer").first.click()
    page.wait_for_selector("#network-asset-outputs tr[data-field=heat_supplied]")
    producer = page.get_attribute("#network-asset", "data-asset-id")
    page.click("#network-asset-outputs tr[data-field=heat_supplied] button[data-chart]")
    wait_for(
        lambda: (
            page.input_value("#asset-select") == producer
            and "Heat supplied" in page.inner_text("#chart-info")
        ),
        30,
        "the producer's heat supplied in the job's chart",
    )

    (ROOT / "var").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "var" / "network-map.png"), full_page=True)
