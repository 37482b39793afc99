"""Who may see, change and own a project, an ESDL model, a job: decided here and nowhere else.

Three levels above nothing: *view* (see it and its results), *edit* (also upload into it, run
jobs on it, replace its input profiles, cancel its jobs) and *owner* (also share, revoke and
delete). A grant goes to a user or to a team (a Django group) and is a guardian object permission
(``view_<kind>``; edit adds ``change_<kind>``) in the direct-foreign-key tables of
``apps.sharing.models``.

``COVERED_BY`` below is the whole rule. Each kind names the parent whose grants also cover it
(a grant on a project covers its models and their jobs; a grant on a model covers its jobs) and
the field naming its owner, who owns it and everything below it (a project's owner owns all in
it). From that one declaration come the querysets (:func:`visible_to`, :func:`editable_by`,
:func:`owned_by`) and the level of one object for one user (:func:`level_of`, one query), both
built from the same conditions, so the SQL of a list and the answer for one object cannot
disagree.

Whose is a job on someone else's model? The project owner's, like everything in the project. The
user who submitted it (``Job.owner``: read it as *submitted by*) stays recorded on the job, in its
history and in the queue's fair share, but reaches the job only through a grant on the job, its
model or its project, like anyone else. So when the owner revokes an editor's grant, the editor
loses the jobs they ran there too: pages, API, output ESDL, the progress websocket and InfluxDB
READ (the ``access_changed`` receivers re-derive from :func:`visible_to`); only the project owner
may share or delete such a job.

The failure contract the views rely on: a user who may not see an object must not learn that it
exists, so views fetch through :func:`visible_to` (404 for strangers) and only then ask
:func:`require_edit` or :func:`require_owner` (403 for those who may see but not act).
Anonymous users reach nothing. Staff get no special access here (they use the admin), with two
exceptions for support (R15), both declared below: they see every support ticket
(``Coverage.staff``), and through a ticket that is not resolved they may view the one job or
model it links to, each opening recorded (:func:`open_for_support`).

This module imports no app's models (kinds are named by label and reached through
``_meta``), so every app may import it without an import circle.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Literal, TypeVar

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connections, models, router
from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

Level = Literal["view", "edit"]
Access = Literal["owner", "edit", "view"]
#: From the most to the least a user may do; each level includes the ones after it.
ACCESS: tuple[Access, ...] = ("owner", "edit", "view")

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Coverage:
    """Which grants and which owner reach one kind of object.

    ``parent``: the foreign key to the object whose grants (and owner) also cover this one.
    ``owner``: the foreign key to the user who owns this object and everything below it.
    ``grants``: False for a kind without grant tables of its own, reached only through its parent.
    ``staff``: every active member of staff may view every object of this kind.
    """

    parent: str = ""
    owner: str = ""
    grants: bool = True
    staff: bool = False


COVERED_BY: dict[str, Coverage] = {
    "models.Project": Coverage(owner="owner"),
    "models.EsdlModel": Coverage(parent="project"),
    # Not owner="owner": that field is who submitted the job, which gives no access by itself.
    "jobs.Job": Coverage(parent="esdl_model"),
    # A profile binding is part of its model page: it is reached as its model is.
    "profiles.ProfileBinding": Coverage(parent="esdl_model", grants=False),
    # A support ticket is its author's, who may share it with a team; staff answer them all.
    "helpdesk.Ticket": Coverage(owner="author", staff=True),
}

#: Support (R15): the kinds a ticket may link to, by the ticket's field naming them. Staff may
#: view that one object (not its project, nor the model's other jobs) while the ticket is not
#: resolved, and each opening is written to the helpdesk's access log.
SUPPORT_TICKET = "helpdesk.Ticket"
SUPPORT_ACCESS_LOG = "helpdesk.SupportAccess"
SUPPORT_LINKS: dict[str, str] = {"jobs.Job": "job", "models.EsdlModel": "esdl_model"}
SUPPORT_ENDED = "resolved"


@dataclass(frozen=True)
class _Step:
    path: str  # lookup prefix from the asked kind to this one: "", "esdl_model__", ...
    model: type[models.Model]
    coverage: Coverage


@cache
def _chain(model: type[models.Model]) -> tuple[_Step, ...]:
    """The kinds whose grants and owners cover ``model``: itself first, the top last."""
    steps: list[_Step] = []
    path = ""
    while True:
        coverage = COVERED_BY.get(model._meta.label)
        if coverage is None:
            raise LookupError(f"{model._meta.label} is not a shared kind: declare it in COVERED_BY")
        steps.append(_Step(path, model, coverage))
        if not coverage.parent:
            return tuple(steps)
        model = model._meta.get_field(coverage.parent).related_model
        path = f"{path}{coverage.parent}__"


def permission_codename(model: type[models.Model], level: Level) -> str:
    """The guardian permission a grant at ``level`` on ``model`` is stored as."""
    action = "view" if level == "view" else "change"
    return f"{action}_{model._meta.model_name}"


def _granted(step: _Step, user, level: Level) -> Q:
    """Objects whose ``step`` kind was granted to the user or one of their teams at ``level``
    or above (an edit grant is found by a view question even without its view row)."""
    wanted = [permission_codename(step.model, "edit")]
    if level == "view":
        wanted.append(permission_codename(step.model, "view"))
    user_grants = step.model.user_grants.rel.related_model.objects.filter(
        user=user, permission__codename__in=wanted
    ).values("content_object")
    team_grants = step.model.team_grants.rel.related_model.objects.filter(
        group__user=user, permission__codename__in=wanted
    ).values("content_object")
    return Q(**{f"{step.path}pk__in": user_grants}) | Q(**{f"{step.path}pk__in": team_grants})


def _reaches(model: type[models.Model], user, access: Access) -> Q:
    """Objects of ``model`` the (authenticated) user reaches at ``access`` or above."""
    steps = _chain(model)
    if access == "view" and steps[0].coverage.staff and user.is_staff and user.is_active:
        return Q(pk__isnull=False)
    condition = Q()
    for step in steps:
        if step.coverage.owner:
            condition |= Q(**{f"{step.path}{step.coverage.owner}": user})
    if access != "owner":
        for step in steps:
            if step.coverage.grants:
                condition |= _granted(step, user, access)
    return condition


def _restricted(user, of: type[M] | QuerySet[M], access: Access) -> QuerySet[M]:
    queryset = of if isinstance(of, QuerySet) else of._default_manager.all()
    _chain(queryset.model)  # an undeclared kind fails here, for anonymous visitors too
    if not user.is_authenticated:
        return queryset.none()
    model = queryset.model
    sql, params = _reaching_query(model, access, _staff_sees_all(model, user))
    keys = [user.pk if p == _USER_STANDIN else p for p in params]
    return queryset.filter(pk__in=RawSQL(sql, keys))


@cache
def _reaching_query(
    model: type[models.Model], access: Access, staff_sees_all: bool
) -> tuple[str, tuple]:
    """The SQL of the keys of the objects a user reaches at ``access``, with a stand-in for the
    user's key that :func:`_restricted` replaces; compiled once per kind and level, as
    :func:`_level_query` (compiling it took 5-12 ms of CPU a request)."""
    user = get_user_model()(pk=_USER_STANDIN, is_staff=staff_sees_all, is_active=staff_sees_all)
    query = model._default_manager.filter(_reaches(model, user, access)).order_by().values("pk")
    return query.query.sql_with_params()


def visible_to(user, of: type[M] | QuerySet[M]) -> QuerySet[M]:
    """The objects of a kind (or of a queryset of it) the user may see."""
    return _restricted(user, of, "view")


def editable_by(user, of: type[M] | QuerySet[M]) -> QuerySet[M]:
    """The objects of a kind (or of a queryset of it) the user may change."""
    return _restricted(user, of, "edit")


def owned_by(user, of: type[M] | QuerySet[M]) -> QuerySet[M]:
    """The objects of a kind (or of a queryset of it) the user owns."""
    return _restricted(user, of, "owner")


def level_of(user, obj: models.Model) -> Access | None:
    """What the user may do with one object: "owner", "edit", "view" or None; one query."""
    if not user.is_authenticated:
        return None
    model = type(obj)
    sql, params = _level_query(model, _staff_sees_all(model, user))
    standin = _object_standin(model)
    keys = [user.pk if p == _USER_STANDIN else obj.pk if p == standin else p for p in params]
    with connections[router.db_for_read(model)].cursor() as cursor:
        cursor.execute(sql, keys)
        row = cursor.fetchone()
    return row[0] if row else None


#: Stand-ins for the user's and the object's keys in :func:`_level_query`; no row has them.
_USER_STANDIN = -4_109_786_533
_INTEGER_STANDIN = -4_109_786_534
_UUID_STANDIN = uuid.UUID("00000000-0000-4000-8000-00004109786f")


def _object_standin(model: type[models.Model]) -> int | uuid.UUID:
    return _UUID_STANDIN if isinstance(model._meta.pk, models.UUIDField) else _INTEGER_STANDIN


def _staff_sees_all(model: type[models.Model], user) -> bool:
    return bool(_chain(model)[0].coverage.staff and user.is_staff and user.is_active)


@cache
def _level_query(model: type[models.Model], staff_sees_all: bool) -> tuple[str, tuple]:
    """The SQL of one object's level with stand-ins for the user's and the object's keys, which
    :func:`level_of` replaces: compiled once per kind, as it is the same for every user and
    object of it (but for the staff shortcut, hence ``staff_sees_all``).

    Why: the ORM took 6-16 ms of CPU to compile it (three levels, each with the owner condition
    and two grant subqueries for every kind up the chain), the largest part of a model or job
    page; the conditions are still :func:`_reaches`'s, as for the lists.
    """
    user = get_user_model()(pk=_USER_STANDIN, is_staff=staff_sees_all, is_active=staff_sees_all)
    level = Case(
        *(When(_reaches(model, user, access), then=Value(access)) for access in ACCESS),
        default=Value(None),
        output_field=CharField(),
    )
    query = (
        model._default_manager.filter(pk=_object_standin(model))
        .order_by()
        .annotate(access_level=level)
        .values_list("access_level", flat=True)[:1]
    )
    return query.query.sql_with_params()


def owner_of(obj: models.Model):
    """The user who owns the object and all above it (the owner at the top of its chain); one
    query."""
    top = _chain(type(obj))[-1]
    owner_ids = (
        type(obj)._default_manager.filter(pk=obj.pk).values(f"{top.path}{top.coverage.owner}")
    )
    return get_user_model().objects.filter(pk__in=owner_ids).first()


def require_edit(user, obj: models.Model) -> None:
    """Raise PermissionDenied (403) unless the user may change the object."""
    if level_of(user, obj) not in ("owner", "edit"):
        raise PermissionDenied(
            "You may view this but not change it: ask its owner for edit access."
        )


def require_owner(user, obj: models.Model) -> None:
    """Raise PermissionDenied (403) unless the user owns the object."""
    if level_of(user, obj) != "owner":
        raise PermissionDenied("Only the owner may do this.")


def open_for_support(user, of: type[M] | QuerySet[M], pk, ticket_pk) -> M | None:
    """The object ``pk`` of a kind in ``SUPPORT_LINKS``, for an active member of staff, when the
    ticket ``ticket_pk`` links to it and is not resolved; the opening is recorded. None
    otherwise (the caller answers 404, as for any object the user may not see).

    For objects the user cannot see otherwise: pages try :func:`visible_to` first.
    """
    queryset = of if isinstance(of, QuerySet) else of._default_manager.all()
    label = queryset.model._meta.label
    field = SUPPORT_LINKS.get(label)
    if field is None or not (user.is_authenticated and user.is_active and user.is_staff):
        return None
    number = str(ticket_pk or "")
    if not (number.isascii() and number.isdigit() and len(number) <= 18):  # a bigint, or none
        return None
    ticket = (
        apps.get_model(SUPPORT_TICKET)
        ._default_manager.filter(pk=int(number), **{field: pk})
        .exclude(status=SUPPORT_ENDED)
        .first()
    )
    obj = queryset.filter(pk=pk).first() if ticket else None
    if obj is not None:
        apps.get_model(SUPPORT_ACCESS_LOG)._default_manager.create(
            ticket=ticket, staff=user, kind=label, object_id=str(obj.pk)
        )
    return obj
