"""allauth adapter: the username is the e-mail address, and failed logins count on every method.

Keeping username and e-mail equal lets the REST API take HTTP Basic credentials (e-mail +
password), the same pair a user types into the login form.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django.contrib.auth.models import AbstractUser
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def populate_username(self, request, user: AbstractUser) -> None:
        user.username = (user.email or "").lower()[:150]

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """allauth's check of the ``login_failed`` limit, for GET requests too.

        allauth leaves GET requests out of its rate limits (its login form posts), but HTTP Basic
        credentials arrive on any API request, most often a GET: without ``limit_get`` they would
        be tried without limit. ``authenticate()`` rolls the usage back when the password is right.
        """
        self._login_failed_rl_usage = ratelimit.consume(
            request,
            app="allauth.account",
            action="login_failed",
            key=self._get_login_attempts_cache_key(request, **credentials),
            limit_get=True,
        )
        if not self._login_failed_rl_usage:
            raise self.validation_error("too_many_login_attempts")
