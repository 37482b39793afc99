"""A user in a real browser raises a ticket from a failed job; support's reply rings their bell
live (websocket), without a reload."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in
from tests.conftest import ROOT, wait_for
from tests.helpdesk.builders import failed_job, make_staff


@pytest.fixture
def world(owner, make_user, web_server):
    """Made before the browser starts (sync playwright runs an event loop: no ORM after)."""
    return make_staff(make_user), failed_job(owner)


def test_user_raises_a_ticket_from_a_failed_job_and_sees_the_reply_ring(
    owner, world, web_server, browser
):
    staff, job = world

    user = browser.new_context().new_page()
    log_in(user, f"{web_server}/jobs/{job.pk}/", owner.email)
    user.wait_for_selector("#job-status")
    assert user.inner_text("#job-status") == "failed"
    user.click("#ask-support")
    assert user.input_value("#id_subject") == "Job no-worker-offers-this on m failed"
    assert "Solver diverged at time step 17 <unstable loop>" in user.inner_text("#ticket-context")
    user.fill("#id_body", "It failed at step 17. <b>Why?</b>")
    user.click("#ticket-form button[type=submit]")
    user.wait_for_selector("#conversation")
    assert "It failed at step 17. <b>Why?</b>" in user.inner_text("#conversation")
    assert "pressure < 0 in Pipe_3" in user.text_content("#ticket-context")
    ticket_url = user.url
    assert user.inner_text("#ticket-status") == "Open"
    assert user.is_hidden("#bell-count")

    support = browser.new_context().new_page()
    log_in(support, f"{web_server}/helpdesk/", staff.email)
    support.click("#tickets a")
    assert support.url == ticket_url
    support.click("#linked-object")  # the job, not shared with staff: opened through the ticket
    support.wait_for_selector("#job-status")
    assert "Solver diverged" in support.inner_text("#job-error")
    support.go_back()
    support.fill("#id_body", "Try a time step of 900 s.")
    support.click("#reply-form button[type=submit]")
    support.wait_for_selector("text=Try a time step of 900 s.")
    (ROOT / "var").mkdir(exist_ok=True)
    support.screenshot(path=str(ROOT / "var" / "ticket-page.png"), full_page=True)

    # The user's open ticket page hears of it over the websocket.
    wait_for(lambda: user.is_visible("#bell-count"), 30, "the bell to ring")
    assert user.inner_text("#bell-count") == "1"
    user.reload()
    assert "Try a time step of 900 s." in user.inner_text("#conversation")
    assert user.inner_text("#ticket-status") == "Waiting for user"
    assert staff.email in user.inner_text("#support-accesses")
