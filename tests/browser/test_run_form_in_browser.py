"""The run form in a real browser: prefilled from the model, the estimate follows the changes."""

from __future__ import annotations

from omotes.workflows.kpis import workflow as kpis
from omotes.workflows.sequence import simulate_and_kpis
from omotes.workflows.simulator import workflow as simulator
from tests.conftest import PASSWORD, bind_profiles, wait_for
from tests.corpus import generated_network
from tests.jobs.worker_events import announce
from tests.models.test_upload_api import upload


def test_the_estimate_updates_as_the_user_changes_period_step_and_workflow(
    owner, api, project, web_server, browser
):
    announce("worker-a", kpis, simulator, simulate_and_kpis)
    model_id = upload(api, project, "network", generated_network(assets=40)).json()["id"]
    bind_profiles(model_id)
    page = browser.new_context().new_page()
    page.goto(f"{web_server}/models/{model_id}/")
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

    week, _ = estimate_after(lambda: page.fill("#p-simulate_kpis-end", "2019-01-07T23:00"))
    finer, _ = estimate_after(lambda: page.fill("#p-simulate_kpis-timestep_s", "900"))
    alone, _ = estimate_after(lambda: page.select_option("#workflow", "simulator"))

    assert week < year and finer > week
    assert alone != finer  # the simulator alone has its own figure (its own period too)
    page.fill("#p-simulator-end", "2018-01-01T00:00")
    wait_for(lambda: "Not possible" in page.inner_text("#estimate"), 30, "the refusal to show")
    assert "is before Start" in page.inner_text("#estimate")
