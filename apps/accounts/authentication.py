"""REST API authentication: API tokens, and HTTP Basic held to the same limits as the login form.

HTTP Basic stays for scripts and the existing clients (``curl -u email:password``), but it goes
through allauth's ``authenticate()``, so failed attempts count against the same ``login_failed``
rate limit (per address and per client IP, in Redis) as the login form: the API is no way around
it. Basic auth is refused for an account with two-factor authentication (a password alone must not
open it) and, when e-mail verification is mandatory, for an unverified account; those use a token.
"""

from __future__ import annotations

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.mfa.utils import is_mfa_enabled
from django.core.exceptions import ValidationError
from knox.auth import TokenAuthentication
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication, get_authorization_header

TOKEN_SCHEMES = (b"token", b"bearer")


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` or ``Authorization: Bearer <key>`` (knox, hashed keys)."""

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() not in TOKEN_SCHEMES:
            return None
        if len(auth) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid token header: send 'Authorization: Token <key>'."
            )
        return self.authenticate_credentials(auth[1])


class RateLimitedBasicAuthentication(BasicAuthentication):
    def authenticate_credentials(self, userid, password, request=None):
        http_request = getattr(request, "_request", request)
        try:
            user = get_adapter(http_request).authenticate(
                http_request, email=userid.lower(), password=password
            )
        except ValidationError as error:  # allauth's "too many failed login attempts"
            raise exceptions.Throttled(detail=" ".join(error.messages)) from error
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid e-mail address or password.")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("This account is inactive.")
        if is_mfa_enabled(user):
            raise exceptions.AuthenticationFailed(
                "This account uses two-factor authentication: HTTP Basic is not accepted. "
                "Create an API token on your account page and send 'Authorization: Token <key>'."
            )
        mandatory = account_settings.EmailVerificationMethod.MANDATORY
        if (
            account_settings.EMAIL_VERIFICATION == mandatory
            and not EmailAddress.objects.filter(user=user, verified=True).exists()
        ):
            raise exceptions.AuthenticationFailed("Confirm your e-mail address first.")
        return (user, None)
