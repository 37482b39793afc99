"""Account tests: a cache key prefix of their own, so the rate-limit counters (in the shared Redis)
of these tests neither see nor block the logins of other test runs on this machine."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _private_cache_prefix(settings) -> str:
    prefix = f"test-accounts-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": prefix},
    }
    return prefix


def log_in(client, email: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def is_logged_in(client) -> bool:
    """The account page answers only a logged-in user (others are sent to the login page)."""
    return client.get("/account/").status_code == 200


def link_in(message_body: str, path_part: str) -> str:
    """The path (for the test client) of the first link in a mail body containing ``path_part``."""
    for url in re.findall(r"https?://\S+", message_body):
        if path_part in url:
            return urlsplit(url).path
    raise AssertionError(f"no link with {path_part!r} in:\n{message_body}")
