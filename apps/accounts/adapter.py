"""allauth adapter: the username is the e-mail address.

Keeping them equal lets the REST API take HTTP Basic credentials (e-mail + password) through
Django's own ModelBackend, the same pair a user types into the login form.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.models import AbstractUser


class AccountAdapter(DefaultAccountAdapter):
    def populate_username(self, request, user: AbstractUser) -> None:
        user.username = (user.email or "").lower()[:150]
