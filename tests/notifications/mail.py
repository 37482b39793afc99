"""A real SMTP server on loopback for tests (the mail catcher run.sh starts), and settings that
send to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from apps.notifications.mailcatcher import CaughtMail, Inbox, smtp_server
from tests.conftest import free_port, wait_for


class MailServer:
    """The catcher's SMTP server on a port of its own; it can be stopped and started again on
    the same port (an SMTP outage)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self._controller = None

    def start(self) -> None:
        self._controller = smtp_server(self.inbox, "127.0.0.1", self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def mails(self, to: str | None = None) -> list[CaughtMail]:
        return [m for m in self.inbox.mails() if to is None or to in m.recipients]

    def wait_for_mail(self, to: str, timeout: float = 60) -> CaughtMail:
        return wait_for(lambda: (self.mails(to) or [None])[-1], timeout, f"a mail to {to}")


def smtp_settings(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp(settings) -> Iterator[MailServer]:
    """A running SMTP server the code under test sends to (pytest-django's locmem outbox is not
    used)."""
    server = MailServer()
    server.start()
    smtp_settings(settings, server.port)
    yield server
    server.stop()


@pytest.fixture
def smtp_down(settings) -> Iterator[MailServer]:
    """Settings pointing at an SMTP server that is not running yet (``start()`` brings it up)."""
    server = MailServer()
    smtp_settings(settings, server.port)
    yield server
    server.stop()
