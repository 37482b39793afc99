"""The run form in a real browser: prefilled from the model, the estimate follows the changes."""

from __future__ import annotations

import signal

import pytest

from tests.conftest import PASSWORD, bind_profiles, serve_web, wait_for
from tests.corpus import generated_network
from tests.models.test_upload_api import upload


@pytest.fixture
def live_url(stack, transactional_db) -> str:
    yield serve_web(stack)
    stack.kill("web")


@pytest.fixture
def model_id(stack, api, project, live_url) -> int:
    """A 40-asset network with bound profiles, and a live worker offering the heat workflows
    (made before the browser starts: the database is not used from its event loop's thread)."""
    from apps.jobs.workflows import offered_workflows

    stack.start_worker("heat-worker", "simulator,simulate_kpis,kpis")
    wait_for(lambda: {"simulator", "simulate_kpis"} <= set(offered_workflows()), 60, "the worker")
    model_id = upload(api, project, "network", generated_network(assets=40)).json()["id"]
    bind_profiles(model_id)
    yield model_id
    stack.kill("heat-worker", signal.SIGTERM)


def test_the_estimate_updates_as_the_user_changes_period_step_and_workflow(
    owner, model_id, live_url, browser
):
    page = browser.new_context().new_page()
    page.goto(f"{live_url}/models/{model_id}/")
    page.fill("input[name=login]", owner.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#submit-form")

    assert page.input_value("#workflow") == "simulate_kpis"
    assert page.input_value("#p-simulate_kpis-start") == "2019-01-01T00:00"
    assert page.input_value("#p-simulate_kpis-timestep_s") == "3600"

    def estimate_after(change) -> tuple[float, str]:
        before = page.get_attribute("#estimate", "data-seconds")
        change()
        wait_for(
            lambda: page.get_attribute("#estimate", "data-seconds") not in (None, "", before),
            30,
            "the estimate to follow the change",
        )
        return float(page.get_attribute("#estimate", "data-seconds")), page.inner_text("#estimate")

    wait_for(lambda: page.get_attribute("#estimate", "data-seconds"), 30, "a first estimate")
    year = float(page.get_attribute("#estimate", "data-seconds"))
    assert "about" in page.inner_text("#estimate") and "starts" in page.inner_text("#estimate")
    assert "time limit 70 min" in page.inner_text("#estimate")  # simulate_kpis: 3,600 + 600 s

    week, _ = estimate_after(lambda: page.fill("#p-simulate_kpis-end", "2019-01-07T23:00"))
    finer, _ = estimate_after(lambda: page.fill("#p-simulate_kpis-timestep_s", "900"))
    alone, _ = estimate_after(lambda: page.select_option("#workflow", "simulator"))

    assert week < year and finer > week
    assert alone != finer  # the simulator alone has its own figure (its own period too)
    page.fill("#p-simulator-end", "2018-01-01T00:00")
    wait_for(lambda: "Not possible" in page.inner_text("#estimate"), 30, "the refusal to show")
    assert "is before Start" in page.inner_text("#estimate")
