from tests.notifications.mail import smtp, smtp_down  # noqa: F401 - fixtures
