"""The bell hears of shares from ``apps.sharing.signals.shared`` (sent after the grant commits)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from apps.notifications.models import Notification
from apps.notifications.services import notify
from apps.sharing.access import owner_of


def tell_of_share(sender, obj, users: set[int], level: str, **kwargs) -> None:
    """ "Alice shared project X with you": only the owner shares, so the owner is who shared."""
    by = owner_of(obj)
    kind = obj._meta.verbose_name
    who = by.email if by else "Someone"
    url = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""
    for user in get_user_model().objects.filter(pk__in=users).exclude(pk=getattr(by, "pk", None)):
        notify(
            user, Notification.Kind.SHARE, f"{who} shared {kind} “{obj}” with you ({level}).", url
        )
