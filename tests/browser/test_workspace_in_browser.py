"""The designer's workspace in a real browser (Debian's chromium): the dashboard follows a
running job live, names what was shared; every main page fits a 390 px phone without
scrolling sideways; the menu folds away on a phone; a job is renamed from its page."""

from __future__ import annotations

import threading

import pytest

from apps.jobs.live import publish_job_state
from apps.jobs.models import Job
from apps.sharing.services import share
from tests.browser.conftest import log_in
from tests.comparison.results import drop_written, make_project, store_job
from tests.conftest import wait_for
from tests.dashboard.builders import running_job, shared_project
from tests.helpdesk.builders import failed_job

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def in_thread(work) -> None:
    """Run ORM work beside the browser (sync Playwright runs an event loop in this thread,
    where Django refuses database calls)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)
    if errors:
        raise errors[0]


def logged_in_page(browser, web_server: str, email: str, viewport: dict):
    page = browser.new_page(viewport=viewport)
    log_in(page, f"{web_server}/accounts/login/", email)
    return page


@pytest.fixture
def world(owner, make_user):
    """Made before the browser starts: a project with a finished job (results in InfluxDB), a
    running job, a failed one (for a ticket), and a colleague's project shared with the owner."""
    project = make_project(owner, "District heating")
    done = store_job(project, "Base", steps=24 * 14)
    running = running_job(owner, progress=0.25)
    colleague = make_user("colleague@example.com")
    shared = shared_project(colleague, owner)
    share(running.esdl_model.project, colleague, "view")
    failed_job(owner)
    yield {"project": project, "done": done, "running": running, "shared": shared}
    drop_written()


def test_dashboard_follows_a_running_job_live_and_lists_what_was_shared(
    world, owner, web_server, browser
):
    page = logged_in_page(browser, web_server, owner.email, DESKTOP)
    assert page.url.rstrip("/") == web_server  # logging in lands on the dashboard
    running: Job = world["running"]
    row = page.locator(f'#active-jobs [data-live-job="{running.pk}"]')
    assert running.display_name in row.inner_text()
    assert "25 %" in row.inner_text()
    shared = page.inner_text("#shared-with-me")
    assert "Harbour district" in shared and "colleague@example.com" in shared
    assert world["done"].display_name in page.inner_text("#recent-results")

    # The worker reports progress: the open dashboard shows it without a reload.
    def progress() -> None:
        Job.objects.filter(pk=running.pk).update(progress=0.6, progress_message="step 12 of 24")
        publish_job_state(running.pk)

    wait_for(lambda: row.get_attribute("data-following") == "true", 15, "the live socket")
    in_thread(progress)
    wait_for(lambda: "60 %" in row.inner_text(), 15, "the progress to arrive live")
    assert "step 12 of 24" in row.inner_text()
    assert row.locator("[data-live=bar]").evaluate("e => e.style.width") == "60%"


def main_pages(world) -> list[str]:
    done: Job = world["done"]
    return [
        "/",
        "/projects/",
        f"/projects/{world['project'].pk}/",
        f"/models/{done.esdl_model_id}/",
        f"/jobs/{done.pk}/",
        f"/jobs/{world['running'].pk}/",
        f"/projects/{world['project'].pk}/compare/",
        "/jobs/",
        "/helpdesk/",
        "/helpdesk/new/",
        "/notifications/",
        "/sharing/teams/",
        "/account/",
    ]


def test_main_pages_fit_a_phone_without_scrolling_sideways(world, owner, web_server, browser):
    page = logged_in_page(browser, web_server, owner.email, PHONE)
    too_wide = {}
    for path in main_pages(world):
        page.goto(f"{web_server}{path}")
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            culprits = page.evaluate(
                """(limit) => [...document.querySelectorAll('body *')]
                  .filter((e) => e.getBoundingClientRect().right > limit + 1)
                  .filter((e) => !e.closest('.table-scroll, table, #chart, #compare-chart, pre'))
                  .slice(0, 5).map((e) => e.tagName + '#' + e.id + '.' + e.className)""",
                PHONE["width"],
            )
            too_wide[path] = (width, culprits)
    assert too_wide == {}


def test_menu_folds_away_on_a_phone_and_opens_with_its_button(world, owner, web_server, browser):
    page = logged_in_page(browser, web_server, owner.email, PHONE)
    jobs_link = page.locator("#site-menu nav a", has_text="Jobs")
    assert page.is_visible("#menu-toggle") and not jobs_link.is_visible()
    page.click("#menu-toggle")
    assert jobs_link.is_visible()
    assert page.get_attribute("#menu-toggle", "aria-expanded") == "true"
    page.keyboard.press("Escape")
    assert not jobs_link.is_visible()
    page.click("#menu-toggle")
    jobs_link.click()
    page.wait_for_url("**/jobs/")

    wide = logged_in_page(browser, web_server, owner.email, DESKTOP)
    assert not wide.is_visible("#menu-toggle")
    assert wide.locator("#site-menu nav a", has_text="Jobs").is_visible()


def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(
    world, owner, web_server, browser
):
    page = logged_in_page(browser, web_server, owner.email, DESKTOP)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.is_visible(".skip-link")  # shown while it has the focus
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"


def test_owner_renames_a_job_from_its_page(world, owner, web_server, browser):
    done: Job = world["done"]
    page = logged_in_page(browser, web_server, owner.email, DESKTOP)
    page.goto(f"{web_server}/jobs/{done.pk}/")
    assert page.inner_text("#job-name") == done.display_name
    assert str(done.pk) not in page.title()
    page.click("#rename summary")
    page.fill("#job-new-name", "Base case, winter 2019")
    page.click("#rename button[type=submit]")
    page.wait_for_selector("text=Renamed to Base case, winter 2019.")
    assert page.inner_text("#job-name") == "Base case, winter 2019"
    assert page.title().startswith("Base case, winter 2019")
    page.goto(f"{web_server}/jobs/")
    assert "Base case, winter 2019" in page.inner_text("#job-table")
    assert "District heating" in page.inner_text("#job-table")  # the project column
