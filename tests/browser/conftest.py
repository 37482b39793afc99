"""What the browser tests share: Debian's chromium, the web server alone (tests.conftest.serve_web)
and logging in through the form."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import PASSWORD, Stack, serve_web

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def web_url(transactional_db, tmp_path) -> str:
    """The ASGI web server alone, for pages whose results are in InfluxDB already (no worker)."""
    from django.conf import settings

    env = dict(os.environ, DT_DB_NAME=settings.DATABASES["default"]["NAME"], PYTHONUNBUFFERED="1")
    stack = Stack(env, tmp_path)
    yield serve_web(stack)
    stack.stop_all()


def log_in(page, url: str, email: str, wait: bool = True) -> None:
    """Open ``url`` (the login page, or a page that sends there) and log in with the form;
    ``wait``: until the browser has left the login page."""
    page.goto(url)
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    if wait:
        page.wait_for_url(lambda current: "/accounts/login/" not in current)
