"""The access module on its own: each level through each path, and what one answer costs.

The world: ``owner``'s project P holds model M with job J, which ``submitter`` ran. Every test
asks about all three kinds and checks that the querysets (``visible_to``, ``editable_by``,
``owned_by``) and ``level_of`` give the same answer, since both come from one declaration.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import connection

from apps.jobs.models import Job
from apps.models.models import EsdlModel, Project
from apps.profiles.models import ProfileBinding
from apps.sharing.access import (
    editable_by,
    level_of,
    owned_by,
    owner_of,
    require_edit,
    require_owner,
    visible_to,
)
from apps.sharing.models import JobUserGrant
from apps.sharing.services import share

KINDS = ("project", "model", "job")


@pytest.fixture
def world(owner, make_user) -> dict:
    submitter = make_user()
    project = Project.objects.create(owner=owner, name="P")
    model = EsdlModel.objects.create(project=project, name="M", esdl="", size_bytes=0)
    job = Job.objects.create(
        owner=submitter, esdl_model=model, workflow="w", esdl="", time_limit_s=60
    )
    return {"project": project, "model": model, "job": job, "submitter": submitter}


def levels(user, world) -> dict[str, str | None]:
    """The level of each kind, checked against the three querysets on the way."""
    found = {}
    for kind in KINDS:
        obj = world[kind]
        level = level_of(user, obj)
        kind_model = type(obj)
        assert visible_to(user, kind_model).filter(pk=obj.pk).exists() == (level is not None)
        assert editable_by(user, kind_model).filter(pk=obj.pk).exists() == (
            level in ("owner", "edit")
        )
        assert owned_by(user, kind_model).filter(pk=obj.pk).exists() == (level == "owner")
        found[kind] = level
    return found


@pytest.mark.django_db
def test_the_project_owner_owns_the_project_its_models_and_their_jobs(owner, world):
    assert levels(owner, world) == {"project": "owner", "model": "owner", "job": "owner"}


@pytest.mark.django_db
def test_who_submitted_a_job_on_someone_elses_model_gets_nothing_from_that(world):
    assert levels(world["submitter"], world) == {"project": None, "model": None, "job": None}
    assert owner_of(world["job"]) == world["project"].owner


@pytest.mark.django_db
@pytest.mark.parametrize("level", ["view", "edit"])
@pytest.mark.parametrize("granted_on", KINDS)
def test_a_user_grant_reaches_its_object_and_what_lies_below_it(
    world, make_user, granted_on, level
):
    user = make_user()
    share(world[granted_on], user, level)

    below = KINDS[KINDS.index(granted_on) :]
    assert levels(user, world) == {kind: level if kind in below else None for kind in KINDS}


@pytest.mark.django_db
@pytest.mark.parametrize("level", ["view", "edit"])
@pytest.mark.parametrize("granted_on", KINDS)
def test_a_team_grant_reaches_each_member_as_a_user_grant_does(world, make_user, granted_on, level):
    member = make_user()
    team = Group.objects.create(name="Heat")
    team.user_set.add(member)
    share(world[granted_on], team, level)

    below = KINDS[KINDS.index(granted_on) :]
    assert levels(member, world) == {kind: level if kind in below else None for kind in KINDS}


@pytest.mark.django_db
def test_the_highest_of_several_paths_counts(world, make_user):
    user = make_user()
    share(world["project"], user, "view")
    share(world["model"], user, "edit")

    assert levels(user, world) == {"project": "view", "model": "edit", "job": "edit"}


@pytest.mark.django_db
def test_an_edit_grant_without_its_view_row_still_lets_the_user_see(world, make_user):
    user = make_user()
    JobUserGrant.objects.create(
        user=user,
        permission=Permission.objects.get(codename="change_job"),
        content_object=world["job"],
    )

    assert levels(user, world)["job"] == "edit"


@pytest.mark.django_db
def test_a_stranger_reaches_nothing(world, make_user):
    assert levels(make_user(), world) == {"project": None, "model": None, "job": None}


@pytest.mark.django_db
def test_an_anonymous_visitor_reaches_nothing_and_costs_no_query(world, django_assert_num_queries):
    anonymous = AnonymousUser()
    with django_assert_num_queries(0):
        assert [level_of(anonymous, world[kind]) for kind in KINDS] == [None, None, None]
    assert not visible_to(anonymous, Job).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_level_of_costs_one_query_whatever_the_path(
    world, make_user, owner, kind, django_assert_num_queries
):
    member = make_user()
    team = Group.objects.create(name="Heat")
    team.user_set.add(member)
    share(world["project"], team, "view")
    share(world["model"], member, "edit")
    obj = type(world[kind]).objects.get(pk=world[kind].pk)  # nothing related loaded

    for user, expected in ((owner, "owner"), (member, "view" if kind == "project" else "edit")):
        with django_assert_num_queries(1):
            assert level_of(user, obj) == expected


@pytest.mark.django_db
def test_level_of_is_planned_once_per_connection(world, make_user, owner):
    """A prepared statement (settings: server-side binding): after PostgreSQL's first custom
    plans, one generic plan serves every user and object of the kind (planning was most of the
    query's cost)."""
    stranger = make_user()
    answers = [level_of(user, world["job"]) for _ in range(8) for user in (owner, stranger)]

    assert answers == ["owner", None] * 8
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            ["%sharing_jobusergrant%"],
        )
        (generic, custom), *others = cursor.fetchall()
    assert not others
    assert generic > 0 and generic + custom < len(answers)


@pytest.mark.django_db
def test_a_profile_binding_is_reached_as_its_model_is(world, make_user, owner):
    from datetime import UTC, datetime

    from apps.profiles.models import InputProfile

    now = datetime(2025, 1, 1, tzinfo=UTC)
    profile = InputProfile.objects.create(
        owner=owner, name="p", source="standard", start=now, end=now, points=1, peak_w=1
    )
    binding = ProfileBinding.objects.create(
        esdl_model=world["model"], esdl_profile_id="x", original="x", profile=profile
    )
    viewer = make_user()
    share(world["model"], viewer, "view")

    assert level_of(viewer, binding) == "view"
    assert list(visible_to(viewer, ProfileBinding)) == [binding]
    assert level_of(make_user(), binding) is None


@pytest.mark.django_db
def test_require_edit_and_require_owner_refuse_with_403(world, make_user, owner):
    viewer, editor = make_user(), make_user()
    share(world["model"], viewer, "view")
    share(world["model"], editor, "edit")

    with pytest.raises(PermissionDenied):
        require_edit(viewer, world["job"])
    require_edit(editor, world["job"])
    with pytest.raises(PermissionDenied):
        require_owner(editor, world["job"])
    require_owner(owner, world["job"])


def test_a_kind_nobody_declared_is_refused_rather_than_shown():
    with pytest.raises(LookupError, match="not a shared kind"):
        visible_to(AnonymousUser(), Group)
