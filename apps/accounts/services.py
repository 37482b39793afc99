"""Account operations: users for set-up scripts and tests, API tokens for the account page."""

from __future__ import annotations

import logging
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser

from apps.accounts.models import ApiToken

logger = logging.getLogger(__name__)


def create_user(email: str, password: str, *, is_staff: bool = False) -> AbstractUser:
    """Create a user who can log in at once with e-mail and password (address marked verified)."""
    email = email.lower()
    user = get_user_model().objects.create_user(
        username=email, email=email, password=password, is_staff=is_staff
    )
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def create_api_token(
    user: AbstractUser, name: str, lifetime: timedelta | None
) -> tuple[ApiToken, str]:
    """Create a named API token; returns it with its key, which is not stored and not shown again.

    ``lifetime`` None makes a token that never expires.
    """
    token, key = ApiToken.objects.create(user=user, expiry=lifetime, name=name)
    logger.info("api token created", extra={"user_id": user.pk, "token_key": token.token_key})
    return token, key


def revoke_api_token(user: AbstractUser, digest: str) -> ApiToken:
    """Delete one of the user's tokens (it stops working at once); another user's is not found.

    Raises ApiToken.DoesNotExist.
    """
    token = ApiToken.objects.get(user=user, digest=digest)
    token.delete()
    logger.info("api token revoked", extra={"user_id": user.pk, "token_key": token.token_key})
    return token
