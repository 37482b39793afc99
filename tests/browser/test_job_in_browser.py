"""A user in a real browser (Debian's chromium): log in, upload, submit, watch, chart."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, ROOT, serve_web, wait_for
from tests.corpus import generated_network


@pytest.fixture
def live_url(stack, transactional_db) -> str:
    yield serve_web(stack)
    stack.kill("web")


def test_user_uploads_submits_watches_progress_and_sees_the_chart(
    owner, simulator_worker, live_url, browser, tmp_path
):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_url}/projects/")
    page.fill("input[name=login]", owner.email)
    page.fill("input[name=password]", PASSWORD)
    page.check("input[name=remember]")
    page.click("button[type=submit]")
    page.fill("input[name=name]", "Browser project")
    page.click("text=Create project")
    network = tmp_path / "network.esdl"
    network.write_bytes(generated_network())
    page.set_input_files("#upload-form input[type=file]", str(network))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#asset-counts")
    assert "HeatingDemand" in page.inner_text("#asset-counts")
    # The input profiles are bound in the background; the page reloads itself when they are.
    page.wait_for_selector("#profiles-status", state="detached", timeout=60_000)

    page.select_option("#workflow", "simulator")
    page.fill("#p-simulator-start", "2019-01-01T00:00")
    page.fill("#p-simulator-end", "2019-01-07T23:00")
    page.click("#submit-form button[type=submit]")
    page.wait_for_selector("#job-progress-text")
    seen_progress = set()

    def finished() -> bool:
        seen_progress.add(page.inner_text("#job-progress-text"))
        return page.inner_text("#job-status") in ("succeeded", "failed")

    wait_for(finished, 300, "the job page to show the job finished", interval=0.2)
    assert page.inner_text("#job-status") == "succeeded", page.inner_text("#job-error")
    assert page.inner_text("#job-progress-text") == "100 %"
    assert page.inner_text("#job-attempts") == "1"
    page.wait_for_selector("#chart canvas")
    assert len(seen_progress) >= 2, seen_progress  # the bar moved without a reload
    wait_for(lambda: page.get_attribute("#chart", "data-points") == "168", 30, "chart points")
    with page.expect_download() as download:
        page.click("#output-esdl")
    assert "<esdl:EnergySystem" in Path(download.value.path()).read_text()
    (ROOT / "var").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "var" / "job-page.png"), full_page=True)

    # Closing the browser keeps the session ("remember me"): a new browser with the stored
    # cookies opens the job page straight away and gets the job's state over the websocket.
    job_url = page.url
    cookies = context.storage_state()
    session = next(c for c in cookies["cookies"] if c["name"] == "sessionid")
    assert session["expires"] > time.time() + 7 * 24 * 3600  # persistent, not a browser session
    context.close()
    reopened = browser.new_context(storage_state=cookies).new_page()
    reopened.goto(job_url)
    assert reopened.url == job_url
    wait_for(lambda: reopened.inner_text("#job-status") == "succeeded", 30, "state after reopen")
