"""Teams: Django groups that users create and manage themselves, to share with many at once.

The creator of a team manages it; managers add and remove members and name other managers.
Staff manage every team in the admin. Membership changes are access changes (``receivers``).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet

from apps.sharing.models import Team, TeamManagerRole


def teams_of(user) -> QuerySet[Team]:
    return Team.objects.filter(user=user).order_by("name")


def is_manager(user, team: Team) -> bool:
    return TeamManagerRole.objects.filter(team=team, user=user).exists()


def require_manager(user, team: Team) -> None:
    if not is_manager(user, team):
        raise PermissionDenied("Only a manager of the team may change who is in it.")


@transaction.atomic
def create_team(user, name: str) -> Team:
    name = name.strip()
    if not name:
        raise ValidationError("Give the team a name.")
    if Team.objects.filter(name__iexact=name).exists():
        raise ValidationError(f"A team named {name!r} exists already: choose another name.")
    team = Team.objects.create(name=name)
    team.user_set.add(user)
    TeamManagerRole.objects.create(team=team, user=user)
    return team


def add_member(team: Team, email: str, *, manager: bool = False) -> None:
    user = get_user_model().objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        raise ValidationError(f"No user with the e-mail address {email!r}.")
    team.user_set.add(user)
    if manager:
        TeamManagerRole.objects.get_or_create(team=team, user=user)


@transaction.atomic
def remove_member(team: Team, user) -> None:
    """Take someone out of the team; its last manager cannot leave it without a manager."""
    managers = TeamManagerRole.objects.filter(team=team)
    if managers.filter(user=user).exists() and managers.count() == 1:
        raise ValidationError("The team's last manager cannot leave: name another manager first.")
    managers.filter(user=user).delete()
    team.user_set.remove(user)
