"""allauth adapter: the username is the e-mail address, and failed logins count on every method.

Keeping username and e-mail equal lets the REST API take HTTP Basic credentials (e-mail +
password), the same pair a user types into the login form.

Failed logins are limited per (client IP, address) pair and per client IP, never per address
alone (``ACCOUNT_RATE_LIMITS`` in settings has the rates). A limit on the address alone is a
lock-out anyone can trigger: five wrong passwords from anywhere would keep the owner out from
everywhere. Keyed on the pair, a guesser is slowed down (more failures, longer waits) while the
owner, from any other client IP, still logs in. The price: guessing spread over many IPs is slowed
per IP only; long passwords (the validators) and two-factor authentication answer that.
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

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """The ``key`` of the ``login_failed`` limit: the client IP and the address together.

        allauth keys it on the address alone; this is the one method it asks for that key (the
        limit itself, and its reset after a password reset from the same client).
        """
        address = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{ratelimit.get_ip(request)}:{address}"

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
