"""API tokens a user creates on the account page and sends as ``Authorization: Token <key>``."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from knox.models import AbstractAuthToken, AuthTokenManager


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(models.Q(expiry__isnull=True) | models.Q(expiry__gt=timezone.now()))


class ApiToken(AbstractAuthToken):
    """A named token (django-rest-knox's model plus a name).

    Only the SHA-512 ``digest`` of the key is stored; ``token_key`` keeps the first 15 characters
    (the ``dt_`` prefix and 12 random hex digits) so a user can tell their tokens apart and knox
    can find the row to compare. The full key is shown once, when the token is created.
    ``expiry`` is None for a token that does not expire.
    """

    name = models.CharField(max_length=100)

    # knox's manager: ``create(user, expiry=timedelta | None, name=...)`` returns (token, key).
    objects = AuthTokenManager.from_queryset(ApiTokenQuerySet)()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…)"
