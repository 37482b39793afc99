"""Account operations used by set-up scripts and tests."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser


def create_user(email: str, password: str, *, is_staff: bool = False) -> AbstractUser:
    """Create a user who can log in at once with e-mail and password (address marked verified)."""
    email = email.lower()
    user = get_user_model().objects.create_user(
        username=email, email=email, password=password, is_staff=is_staff
    )
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user
