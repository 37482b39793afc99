"""Sharing as users do it: grant, use, revoke, through the pages, the API, teams and websockets."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.jobs.models import Job
from apps.models.models import EsdlModel, Project
from apps.sharing.access import level_of, visible_to
from apps.sharing.services import Grant, find_grantee, grants_of, revoke, share
from tests.corpus import generated_network
from tests.jobs.builders import make_job
from tests.jobs.test_progress_websocket import connect, session_cookie


@pytest.fixture
def job(owner) -> Job:
    return make_job(owner)


def lists(client) -> tuple[set, set, set]:
    projects = {p["id"] for p in client.get("/api/projects/").json()}
    models = {m["id"] for m in client.get("/api/models/").json()}
    jobs = {j["id"] for j in client.get("/api/jobs/").json()}
    return projects, models, jobs


@pytest.mark.django_db
def test_a_project_grant_covers_its_models_and_jobs_and_revoking_hides_them_again(
    client, owner, make_user, job
):
    viewer = make_user()
    client.force_login(viewer)
    project, model = job.esdl_model.project, job.esdl_model
    assert lists(client) == (set(), set(), set())
    assert client.get(f"/jobs/{job.id}/").status_code == 404

    share(project, viewer, "view")

    assert lists(client) == ({project.pk}, {model.pk}, {str(job.id)})
    assert client.get(f"/models/{model.pk}/").status_code == 200
    assert client.get(f"/jobs/{job.id}/").status_code == 200
    assert level_of(viewer, job) == "view"

    revoke(project, viewer)

    assert lists(client) == (set(), set(), set())
    assert client.get(f"/jobs/{job.id}/").status_code == 404


@pytest.mark.django_db
def test_a_viewer_gets_403_on_every_change_and_an_editor_may_make_them(
    client, owner, make_user, job
):
    viewer, editor = make_user(), make_user()
    model = job.esdl_model
    share(model, viewer, "view")
    share(model, editor, "edit")

    client.force_login(viewer)
    assert client.post(f"/jobs/{job.id}/cancel/").status_code == 403
    assert client.post(f"/api/jobs/{job.id}/cancel/").status_code == 403
    assert client.post("/api/jobs/", {"model": model.pk, "workflow": "x"}).status_code == 403
    assert client.post(f"/jobs/submit/{model.pk}/", {"workflow": "x"}).status_code == 403
    assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED

    client.force_login(editor)
    assert client.post(f"/api/jobs/{job.id}/cancel/").status_code == 200
    assert Job.objects.get(pk=job.pk).status == Job.Status.CANCELLED
    # Deleting and sharing stay with the owner.
    assert client.delete(f"/api/jobs/{job.id}/").status_code == 403
    response = client.post(
        f"/api/models/{model.pk}/grants/share/", {"user": viewer.email, "level": "edit"}
    )
    assert response.status_code == 403
    assert Job.objects.filter(pk=job.pk).exists()


@pytest.mark.django_db
def test_an_editor_of_a_project_uploads_into_it_and_a_viewer_may_not(client, owner, make_user, job):
    project = job.esdl_model.project
    viewer, editor = make_user(), make_user()
    share(project, viewer, "view")
    share(project, editor, "edit")

    def upload(user) -> int:
        client.force_login(user)
        return client.post(
            "/api/models/",
            {
                "project": project.pk,
                "file": SimpleUploadedFile("up.esdl", generated_network(profiles=False)),
            },
        ).status_code

    assert upload(viewer) == 403
    assert upload(editor) == 201
    assert project.esdl_models.count() == 2


@pytest.mark.django_db
def test_owner_shares_and_revokes_through_the_api(api, owner, make_user, project):
    colleague = make_user()

    shared = api.post(
        f"/api/projects/{project}/grants/share/", {"user": colleague.email, "level": "edit"}
    )
    assert shared.status_code == 200, shared.content
    assert shared.json() == [{"kind": "user", "name": colleague.email, "level": "edit"}]
    downgraded = api.post(
        f"/api/projects/{project}/grants/share/", {"user": colleague.email, "level": "view"}
    )
    assert downgraded.json() == [{"kind": "user", "name": colleague.email, "level": "view"}]
    assert level_of(colleague, Project.objects.get(pk=project)) == "view"

    revoked = api.post(f"/api/projects/{project}/grants/revoke/", {"user": colleague.email})
    assert revoked.status_code == 200
    assert revoked.json() == []
    again = api.post(f"/api/projects/{project}/grants/revoke/", {"user": colleague.email})
    assert again.status_code == 404


@pytest.mark.django_db
def test_sharing_with_someone_unknown_or_yourself_is_a_clear_400(api, owner, project):
    unknown = api.post(f"/api/projects/{project}/grants/share/", {"user": "nobody@example.com"})
    assert unknown.status_code == 400
    assert "nobody@example.com" in unknown.json()["detail"]
    yourself = api.post(f"/api/projects/{project}/grants/share/", {"user": owner.email})
    assert yourself.status_code == 400
    both = api.post(f"/api/projects/{project}/grants/share/", {"user": owner.email, "team": "t"})
    assert both.status_code == 400
    bad_level = api.post(
        f"/api/projects/{project}/grants/share/", {"user": owner.email, "level": "admin"}
    )
    assert bad_level.status_code == 400


@pytest.mark.django_db
def test_a_team_grant_reaches_members_and_leaving_the_team_ends_it(client, owner, make_user, job):
    member, outsider = make_user(), make_user()
    team = Group.objects.create(name="Heat planning")
    team.user_set.add(member)
    share(job.esdl_model, find_grantee(team="Heat planning"), "view")
    assert grants_of(job.esdl_model)[0].kind == "team"

    client.force_login(member)
    assert client.get(f"/jobs/{job.id}/").status_code == 200
    client.force_login(outsider)
    assert client.get(f"/jobs/{job.id}/").status_code == 404

    team.user_set.remove(member)
    client.force_login(member)
    assert client.get(f"/jobs/{job.id}/").status_code == 404


@pytest.mark.django_db
def test_the_owner_shares_from_the_page_and_a_viewer_sees_no_edit_forms(
    client, owner, make_user, job
):
    viewer = make_user()
    model = job.esdl_model
    client.force_login(owner)
    page = client.get(f"/models/{model.pk}/").content.decode()
    assert 'id="submit-form"' in page or "No workflow can run this model" in page
    response = client.post(
        f"/sharing/model/{model.pk}/share/",
        {"grantee_kind": "user", "name": viewer.email, "level": "view"},
    )
    assert response.status_code == 302
    assert viewer.email in client.get(f"/models/{model.pk}/").content.decode()
    refused = client.post(
        f"/sharing/model/{model.pk}/share/", {"grantee_kind": "team", "name": "No such team"}
    )
    assert refused.status_code == 400
    assert "No team named" in refused.content.decode()

    client.force_login(viewer)
    page = client.get(f"/models/{model.pk}/").content.decode()
    assert 'id="submit-form"' not in page
    assert "No workflow can run this model" not in page
    assert "You can view this" in page
    assert client.post(f"/sharing/model/{model.pk}/revoke/").status_code == 403

    client.force_login(owner)
    client.post(
        f"/sharing/model/{model.pk}/revoke/", {"grantee_kind": "user", "name": viewer.email}
    )
    client.force_login(viewer)
    assert client.get(f"/models/{model.pk}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_revoking_closes_the_viewers_open_job_page_at_once(client, owner, make_user):
    viewer = make_user()
    job = make_job(owner)
    share(job, viewer, "view")
    cookie = session_cookie(client, viewer)

    async def scenario():
        communicator, connected = await connect(job, cookie)
        assert connected
        await communicator.receive_json_from(timeout=5)
        await revoke_async(job, viewer)
        closed = await communicator.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": 4403}

    revoke_async = database_sync_to_async(revoke)
    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_revoking_an_editor_closes_the_open_page_of_a_job_they_ran(client, owner, make_user):
    editor = make_user()
    job = make_job(owner)
    share(job.esdl_model, editor, "edit")
    Job.objects.filter(pk=job.pk).update(owner=editor)  # the editor submitted it
    cookie = session_cookie(client, editor)

    async def scenario():
        communicator, connected = await connect(job, cookie)
        assert connected
        await communicator.receive_json_from(timeout=5)
        await revoke_async(job.esdl_model, editor)
        closed = await communicator.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": 4403}

    revoke_async = database_sync_to_async(revoke)
    async_to_sync(scenario)()


@pytest.mark.django_db
def test_access_rules_follow_the_object_not_the_user_id(owner, make_user):
    """Two owners' objects with the same primary keys in different tables do not mix."""
    other = make_user()
    mine = Project.objects.create(owner=owner, name="mine")
    theirs = Project.objects.create(owner=other, name="theirs")
    model = EsdlModel.objects.create(project=theirs, name="m", esdl="", size_bytes=0)
    share(mine, other, "edit")

    assert level_of(owner, theirs) is None
    assert level_of(owner, model) is None
    assert set(visible_to(other, Project)) == {mine, theirs}
    assert set(visible_to(owner, EsdlModel)) == set()


@pytest.mark.django_db
def test_a_user_starts_a_team_adds_a_colleague_and_shares_with_it(client, owner, make_user, job):
    colleague, outsider = make_user(), make_user()
    client.force_login(owner)
    created = client.post("/sharing/teams/", {"name": "District heating"})
    team_url = created["Location"]
    assert client.post("/sharing/teams/", {"name": "district heating"}).status_code == 400
    client.post(team_url, {"email": colleague.email})
    client.post(
        f"/sharing/project/{job.esdl_model.project.pk}/share/",
        {"grantee_kind": "team", "name": "District heating", "level": "view"},
    )

    client.force_login(colleague)
    assert client.get(f"/jobs/{job.id}/").status_code == 200
    assert "District heating" in client.get("/sharing/teams/").content.decode()
    # A member who is no manager cannot change the team; an outsider does not see it.
    assert client.post(team_url, {"email": outsider.email}).status_code == 403
    client.force_login(outsider)
    assert client.get(team_url).status_code == 404

    client.force_login(owner)
    assert client.post(team_url, {"remove": owner.pk}).status_code == 400  # last manager
    client.post(team_url, {"remove": colleague.pk})
    client.force_login(colleague)
    assert client.get(f"/jobs/{job.id}/").status_code == 404


@pytest.mark.django_db
def test_the_demo_colleague_sees_the_demo_project_through_the_team(client):
    from django.core.management import call_command

    call_command("create_demo", email="demo-sharing@example.com", password="pw-2026-demo-x")
    call_command("create_demo", email="demo-sharing@example.com", password="pw-2026-demo-x")

    colleague = get_user_model().objects.get(email="colleague@example.com")
    project = Project.objects.get(owner__email="demo-sharing@example.com")
    assert level_of(colleague, project) == "view"
    assert Group.objects.get(name="Demo team").user_set.count() == 2


@pytest.mark.django_db
def test_the_add_member_form_says_a_member_gets_all_the_team_was_given(client, owner):
    client.force_login(owner)
    team_url = client.post("/sharing/teams/", {"name": "Heat"})["Location"]

    page = client.get(team_url).content.decode()

    assert "A new member gets access to everything shared with Heat." in page


def test_model_panel_names_access_inherited_from_its_project(client, owner):
    """A model whose project is shared is not "only yours": the panel says through what."""
    project = Project.objects.create(owner=owner, name="Harbour")
    esdl_model = EsdlModel.objects.create(project=project, name="Net", esdl="", size_bytes=0)
    team = Group.objects.create(name="Heat planners")
    share(project, team, "edit")
    client.force_login(owner)
    panel = client.get(esdl_model.get_absolute_url()).content.decode()
    panel = panel.split('data-testid="sharing"', 1)[1].split("</section>", 1)[0]
    assert "Only you have access" not in panel
    assert "Shared through project" in panel and "Harbour" in panel
    assert "with team Heat planners (edit)" in panel


@pytest.mark.django_db
def test_an_objects_user_and_team_grants_are_read_in_one_query(owner, make_user, job):
    viewer, editor = make_user("viewer@example.com"), make_user("editor@example.com")
    Group.objects.create(name="Heat planning")
    share(job.esdl_model, viewer, "view")
    share(job.esdl_model, editor, "edit")
    share(job.esdl_model, find_grantee(team="Heat planning"), "edit")

    with CaptureQueriesContext(connection) as queries:
        grants = grants_of(job.esdl_model)
    assert grants == [
        Grant("team", "Heat planning", "edit"),
        Grant("user", "editor@example.com", "edit"),
        Grant("user", "viewer@example.com", "view"),
    ]
    assert len(queries) == 1
