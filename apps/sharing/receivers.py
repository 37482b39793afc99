"""Team membership is access too: joining or leaving a team changes what a user may see."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from apps.sharing.services import members_of
from apps.sharing.signals import access_changed


def team_membership_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action == "pre_clear":
        # Who is about to leave is only known before the rows go.
        instance._members_before_clear = members_of(instance)
        return
    if action == "post_clear":
        users = getattr(instance, "_members_before_clear", set())
    elif action in ("post_add", "post_remove"):
        users = set(pk_set or ()) if isinstance(instance, Group) else {instance.pk}
    else:
        return
    if users:
        transaction.on_commit(lambda: access_changed.send(sender=Group, users=users))
