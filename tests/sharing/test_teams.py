"""Team names that only look different are refused; a team's manager can delete the team."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from apps.jobs.models import Job
from apps.sharing.models import TeamManagerRole
from apps.sharing.services import share
from apps.sharing.signals import access_changed
from apps.sharing.teams import add_member, create_team
from tests.jobs.builders import make_job

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "look_alike",
    [
        "district heating",  # case
        "DISTRICT  HEATING ",  # case and spacing
        "Ｄｉｓｔｒｉｃｔ heating",  # fullwidth letters
        "𝐃istrict heating",  # mathematical bold D
    ],
)
def test_a_name_that_only_differs_in_case_width_or_spacing_is_refused(owner, look_alike):
    create_team(owner, "District heating")

    with pytest.raises(ValidationError, match="exists already"):
        create_team(owner, look_alike)


def test_a_name_mixing_cyrillic_into_latin_is_refused(owner):
    create_team(owner, "District heating")

    with pytest.raises(ValidationError, match="Cyrillic, Latin"):
        create_team(owner, "District h\u0435ating")  # Cyrillic е


def test_an_invisible_character_is_refused(owner):
    with pytest.raises(ValidationError, match="invisible"):
        create_team(owner, "District\u200b heating")


@pytest.mark.parametrize(
    "name", ["Теплосеть", "Θέρμανση", "地域熱供給チーム", "열공급 팀", "Team 2"]
)
def test_names_in_one_script_are_welcome(owner, name):
    assert create_team(owner, name).name == name


def test_the_page_refuses_a_look_alike_name_with_a_clear_400(client, owner):
    client.force_login(owner)
    client.post("/sharing/teams/", {"name": "Energy team"})

    response = client.post("/sharing/teams/", {"name": "\u0415nergy team"})  # Cyrillic Е

    assert response.status_code == 400
    assert "mixes letters of different scripts" in response.content.decode()
    assert Group.objects.count() == 1


@pytest.fixture
def team_with_a_grant(owner, make_user):
    """Owner's team with one more member; the owner's job is shared with the team."""
    member = make_user()
    team = create_team(owner, "Heat network")
    add_member(team, member.email)
    job = make_job(owner)
    share(job, team, "view")
    return team, member, job


def test_a_manager_deletes_the_team_after_confirming(client, owner, team_with_a_grant):
    team, member, job = team_with_a_grant
    client.force_login(member)
    assert client.get(f"/jobs/{job.id}/").status_code == 200
    client.force_login(owner)
    asked = client.get(f"/sharing/teams/{team.pk}/delete/")
    assert asked.status_code == 200
    assert "Delete the team Heat network?" in asked.content.decode()
    assert Group.objects.filter(pk=team.pk).exists()  # asking deletes nothing

    deleted = client.post(f"/sharing/teams/{team.pk}/delete/")

    assert deleted["Location"] == "/sharing/teams/"
    assert not Group.objects.filter(pk=team.pk).exists()
    assert not job.team_grants.exists()
    assert not TeamManagerRole.objects.filter(team_id=team.pk).exists()
    client.force_login(member)
    assert client.get(f"/jobs/{job.id}/").status_code == 404
    assert Job.objects.filter(pk=job.pk).exists()  # what was shared stays with its owner


def test_deleting_a_team_announces_the_access_change_of_every_member(
    client, owner, team_with_a_grant, django_capture_on_commit_callbacks
):
    team, member, _job = team_with_a_grant
    announced: list[set[int]] = []

    def record(sender, users, **kwargs):
        announced.append(set(users))

    access_changed.connect(record)
    client.force_login(owner)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/sharing/teams/{team.pk}/delete/")
    finally:
        access_changed.disconnect(record)

    assert {owner.pk, member.pk} in announced


def test_a_member_who_is_no_manager_cannot_delete_the_team(client, team_with_a_grant):
    team, member, _job = team_with_a_grant
    client.force_login(member)

    assert client.get(f"/sharing/teams/{team.pk}/delete/").status_code == 403
    assert client.post(f"/sharing/teams/{team.pk}/delete/").status_code == 403
    assert Group.objects.filter(pk=team.pk).exists()


def test_a_deleted_teams_name_is_free_again(client, owner, team_with_a_grant):
    team, _member, _job = team_with_a_grant
    client.force_login(owner)
    client.post(f"/sharing/teams/{team.pk}/delete/")

    assert create_team(owner, "Heat network").pk != team.pk
