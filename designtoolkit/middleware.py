"""Every page needs a logged-in user (R10), except the few that let one log in."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

# Paths open to anonymous users: logging in and signing up, static files, the health check (for
# the orchestrator's probes; it shows no user data), the API, which answers 401/403 itself, and
# the metrics, which check their own token or network (apps.operations.metrics).
PUBLIC_PREFIXES = ("/accounts/", "/static/", "/health/", "/api/", "/ws/", "/metrics")


class LoginRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)
