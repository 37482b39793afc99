"""What the browser tests share: the web server (daphne) on a free port, and Debian's chromium."""

from __future__ import annotations

import shutil
import urllib.request

import pytest

from tests.conftest import Stack, free_port, wait_for

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def serve_web(stack: Stack) -> str:
    """Start the ASGI web server as the process "web" of ``stack``; its URL once it answers."""
    port = free_port()
    stack.start(
        "web", "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "designtoolkit.asgi:application"
    )

    def answers() -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
        except OSError:
            return False
        return True

    wait_for(answers, 60, "the web server")
    return f"http://127.0.0.1:{port}"


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
