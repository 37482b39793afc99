"""Sharing a project, an ESDL model or a job with a user or a team, and taking it back (R4, R5).

What a grant lets its holder do, and which objects it covers, is decided in
:mod:`apps.sharing.access`; this module writes and lists the grants themselves and tells the
rest of the product (``access_changed``) whose access changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import CharField, QuerySet, Value

from apps.sharing.access import COVERED_BY, Level, level_of, permission_codename
from apps.sharing.signals import access_changed, shared

LEVELS: tuple[Level, ...] = ("view", "edit")


@dataclass(frozen=True)
class Grant:
    kind: Literal["user", "team"]
    name: str  # the user's e-mail address or the team's name
    level: Level


def grants_of(obj: models.Model) -> list[Grant]:
    """The grants given on this very object (not those inherited from a project or model), read
    in one query (the sharing panel of a job reads those of the job, its model and its project)."""
    found: dict[tuple[str, str], Level] = {}
    view, change = permission_codename(type(obj), "view"), permission_codename(type(obj), "edit")
    users = obj.user_grants.values_list(
        Value("user", output_field=CharField()), "user__email", "permission__codename"
    )
    teams = obj.team_grants.values_list(
        Value("team", output_field=CharField()), "group__name", "permission__codename"
    )
    for kind, name, codename in users.union(teams, all=True):
        if codename == change:
            found[(kind, name)] = "edit"
        elif codename == view:
            found.setdefault((kind, name), "view")
    return [Grant(kind, name, level) for (kind, name), level in sorted(found.items())]


@dataclass(frozen=True)
class InheritedGrant:
    """A grant on an object above this one (its model, its project) that also covers it."""

    grant: Grant
    through_kind: str  # "project", "model"
    through: models.Model


#: How the panel names the kinds a grant may come through.
_KIND_NAMES = {"models.Project": "project", "models.EsdlModel": "model", "jobs.Job": "job"}


def inherited_grants(obj: models.Model) -> list[InheritedGrant]:
    """The grants on the objects above ``obj`` (for a job: its model, then its project), which
    reach it as well (``apps.sharing.access.COVERED_BY``): the sharing panel must not say
    "only you" of a model whose project is shared."""
    found: list[InheritedGrant] = []
    current = obj
    while parent_field := COVERED_BY[current._meta.label].parent:
        current = getattr(current, parent_field)
        if not COVERED_BY[current._meta.label].grants:
            continue
        kind = _KIND_NAMES.get(current._meta.label, current._meta.verbose_name)
        found.extend(InheritedGrant(grant, kind, current) for grant in grants_of(current))
    return found


def find_grantee(*, user: str = "", team: str = "", to_share: bool = True):
    """The user (by e-mail address) or team (by name) to share with, or a ValidationError.

    To share, a user is found only by a primary address they have confirmed (allauth's
    ``verified``): anyone may sign up with any address, so an unconfirmed one proves nothing, and
    a share with it would go to whoever registered it first rather than to the person the owner
    means. Taking a grant back (``to_share=False``) needs no such proof: it may only narrow access.
    """
    if bool(user) == bool(team):
        raise ValidationError("Name either a user (e-mail address) or a team, not both.")
    if user:
        address = user.strip()
        found = get_user_model().objects.filter(email__iexact=address, is_active=True).first()
        if found is None:
            raise ValidationError(f"No user with the e-mail address {address!r}.")
        confirmed = EmailAddress.objects.filter(
            user=found, email__iexact=address, primary=True, verified=True
        )
        if to_share and not confirmed.exists():
            raise ValidationError(
                f"The account with the e-mail address {address!r} has not confirmed that "
                "address yet: share once its owner has followed the confirmation link."
            )
        return found
    found = Group.objects.filter(name=team.strip()).first()
    if found is None:
        raise ValidationError(f"No team named {team!r}.")
    return found


def members_of(grantee) -> set[int]:
    """The users a grant to this user or team reaches."""
    if isinstance(grantee, Group):
        return set(grantee.user_set.values_list("pk", flat=True))
    return {grantee.pk}


def _grant_rows(obj: models.Model, grantee) -> QuerySet:
    if isinstance(grantee, Group):
        return obj.team_grants.filter(group=grantee)
    return obj.user_grants.filter(user=grantee)


def _announce(users: set[int]) -> None:
    transaction.on_commit(lambda: access_changed.send(sender=Grant, users=users))


@transaction.atomic
def share(obj: models.Model, grantee, level: Level) -> None:
    """Give a user or team view or edit access; a second share changes the level."""
    if level not in LEVELS:
        raise ValidationError(f"Unknown access level {level!r}: use view or edit.")
    if not isinstance(grantee, Group) and level_of(grantee, obj) == "owner":
        raise ValidationError("The owner has full access already.")
    wanted = {permission_codename(type(obj), lvl) for lvl in LEVELS[: LEVELS.index(level) + 1]}
    rows = _grant_rows(obj, grantee)
    rows.exclude(permission__codename__in=wanted).delete()
    have = set(rows.values_list("permission__codename", flat=True))
    content_type_perms = Permission.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), codename__in=wanted - have
    )
    field = "group" if isinstance(grantee, Group) else "user"
    grant_model = rows.model
    created = grant_model.objects.bulk_create(
        grant_model(**{field: grantee, "permission": permission, "content_object": obj})
        for permission in content_type_perms
    )
    users = members_of(grantee)
    _announce(users)
    if created:  # a new or raised grant, not a repeat or a narrowing
        transaction.on_commit(
            lambda: shared.send(sender=type(obj), obj=obj, users=users, level=level)
        )


@transaction.atomic
def revoke(obj: models.Model, grantee) -> bool:
    """Take a grant back; False when there was none. Takes effect at once, also for open
    websockets and InfluxDB read credentials (receivers of ``access_changed``)."""
    deleted, _ = _grant_rows(obj, grantee).delete()
    if deleted:
        _announce(members_of(grantee))
    return bool(deleted)
