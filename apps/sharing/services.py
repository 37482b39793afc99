"""Who may do what with a project, an ESDL model or a job, and sharing them (R4, R5, R11).

Three levels above nothing: *view* (see it and its results), *edit* (also upload into it, run
jobs on it, cancel its jobs) and *owner* (also share, revoke and delete). A grant goes to a user
or to a team (a Django group); a grant on a project covers its models and their jobs, a grant on
a model covers its jobs. Grants are guardian object permissions (``view_*``; edit adds
``change_*``) in the direct-foreign-key tables of ``apps.sharing.models``.

Reading is decided by the ``visible_to`` querysets (a stranger gets 404, never a hint that the
object exists); this module answers the edit and owner questions for an object already known to
be visible, and changes grants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet

from apps.sharing.signals import access_changed

Level = Literal["view", "edit"]
LEVELS: tuple[Level, ...] = ("view", "edit")
Access = Literal["owner", "edit", "view"]


def _codename(model: type[models.Model], level: Level) -> str:
    action = "view" if level == "view" else "change"
    return f"{action}_{model._meta.model_name}"


def granted(model: type[models.Model], user, level: Level) -> Q:
    """Objects of ``model`` granted to the user, directly or through a team, at ``level`` or up."""
    codename = _codename(model, level)
    user_grants = model.user_grants.rel.related_model.objects.filter(
        user=user, permission__codename=codename
    ).values("content_object")
    team_grants = model.team_grants.rel.related_model.objects.filter(
        group__user=user, permission__codename=codename
    ).values("content_object")
    return Q(pk__in=user_grants) | Q(pk__in=team_grants)


def _has_grant(obj: models.Model, user, level: Level) -> bool:
    return type(obj).objects.filter(granted(type(obj), user, level), pk=obj.pk).exists()


def _chain(obj: models.Model) -> list[models.Model]:
    """The object and the objects above it whose grants cover it: job → model → project."""
    from apps.jobs.models import Job
    from apps.models.models import EsdlModel

    if isinstance(obj, Job):
        return [obj, obj.esdl_model, obj.esdl_model.project]
    if isinstance(obj, EsdlModel):
        return [obj, obj.project]
    return [obj]


def owners_of(obj: models.Model) -> set[int]:
    """Users who own the object: a project's owner owns all in it; a job also its submitter."""
    chain = _chain(obj)
    return {chain[-1].owner_id} | ({obj.owner_id} if len(chain) == 3 else set())


def access_level(user, obj: models.Model) -> Access | None:
    if not user.is_authenticated:
        return None
    if user.pk in owners_of(obj):
        return "owner"
    for level in ("edit", "view"):
        if any(_has_grant(item, user, level) for item in _chain(obj)):
            return level
    return None


def can_edit(user, obj: models.Model) -> bool:
    return access_level(user, obj) in ("owner", "edit")


def require_edit(user, obj: models.Model) -> None:
    """Raise PermissionDenied (403) unless the user may change the object."""
    if not can_edit(user, obj):
        raise PermissionDenied(
            "You may view this but not change it: ask its owner for edit access."
        )


def require_owner(user, obj: models.Model) -> None:
    if access_level(user, obj) != "owner":
        raise PermissionDenied("Only the owner may do this.")


@dataclass(frozen=True)
class Grant:
    kind: Literal["user", "team"]
    name: str  # the user's e-mail address or the team's name
    level: Level


def grants_of(obj: models.Model) -> list[Grant]:
    """The grants given on this very object (not those inherited from a project or model)."""
    found: dict[tuple[str, str], Level] = {}
    view, change = _codename(type(obj), "view"), _codename(type(obj), "edit")
    for kind, rows in (
        ("user", obj.user_grants.values_list("user__email", "permission__codename")),
        ("team", obj.team_grants.values_list("group__name", "permission__codename")),
    ):
        for name, codename in rows:
            if codename == change:
                found[(kind, name)] = "edit"
            elif codename == view:
                found.setdefault((kind, name), "view")
    return [Grant(kind, name, level) for (kind, name), level in sorted(found.items())]


def find_grantee(*, user: str = "", team: str = ""):
    """The user (by e-mail address) or team (by name) to share with, or a ValidationError.

    A user is found only by a primary address they have confirmed (allauth's ``verified``):
    anyone may sign up with any address, so an unconfirmed one proves nothing, and a share with
    it would go to whoever registered it first rather than to the person the owner means.
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
        if not confirmed.exists():
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
    if not isinstance(grantee, Group) and grantee.pk in owners_of(obj):
        raise ValidationError("The owner has full access already.")
    wanted = {_codename(type(obj), lvl) for lvl in LEVELS[: LEVELS.index(level) + 1]}
    rows = _grant_rows(obj, grantee)
    rows.exclude(permission__codename__in=wanted).delete()
    have = set(rows.values_list("permission__codename", flat=True))
    content_type_perms = Permission.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), codename__in=wanted - have
    )
    field = "group" if isinstance(grantee, Group) else "user"
    grant_model = rows.model
    grant_model.objects.bulk_create(
        grant_model(**{field: grantee, "permission": permission, "content_object": obj})
        for permission in content_type_perms
    )
    _announce(members_of(grantee))


@transaction.atomic
def revoke(obj: models.Model, grantee) -> bool:
    """Take a grant back; False when there was none. Takes effect at once, also for open
    websockets and InfluxDB read credentials (receivers of ``access_changed``)."""
    deleted, _ = _grant_rows(obj, grantee).delete()
    if deleted:
        _announce(members_of(grantee))
    return bool(deleted)
