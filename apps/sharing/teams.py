"""Teams: Django groups that users create and manage themselves, to share with many at once.

The creator of a team manages it; managers add and remove members, name other managers and may
delete the team. Staff manage every team in the admin. Membership changes are access changes
(``receivers``).

A team is shared with by its name, so two names that look alike are a trap: an owner who types
or picks "Energy team" could be granting access to a look-alike "Еnergy team" (Cyrillic Е) that
someone else made. Names are therefore compared by a key (``name_key``: NFKC, case folded,
spaces collapsed), and a name may use letters of one script only (``scripts_of``), the mixed-script
rule of Unicode TR39 without its confusables table, which no installed library provides. A name
written wholly in another script (an all-Cyrillic "Васе" against Latin "Bace") is not caught.
"""

from __future__ import annotations

import unicodedata

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet

from apps.sharing.models import Team, TeamManagerRole

# Script mixes TR39 ("highly restrictive") allows because real names use them: Japanese (Han with
# kana), Chinese with Bopomofo, Korean (Han with Hangul), each with Latin. The script is the first
# word of a letter's Unicode name, which is the script for these and for Latin, Cyrillic, Greek.
ALLOWED_MIXES = (
    {"LATIN", "CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA"},
    {"LATIN", "CJK", "BOPOMOFO"},
    {"LATIN", "CJK", "HANGUL"},
)


def teams_of(user) -> QuerySet[Team]:
    return Team.objects.filter(user=user).order_by("name")


def is_manager(user, team: Team) -> bool:
    return TeamManagerRole.objects.filter(team=team, user=user).exists()


def require_manager(user, team: Team) -> None:
    if not is_manager(user, team):
        raise PermissionDenied("Only a manager of the team may change or delete it.")


def name_key(name: str) -> str:
    """What two team names are compared by: equal keys look alike (case, width, spacing)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


def scripts_of(name: str) -> set[str]:
    """The scripts of the letters in ``name`` (digits, spaces and punctuation belong to all)."""
    return {
        unicodedata.name(char, "UNKNOWN").split()[0]
        for char in unicodedata.normalize("NFKC", name)
        if unicodedata.category(char).startswith("L")
    }


def check_team_name(name: str) -> None:
    """Raise ValidationError unless ``name`` is a new name that cannot pass for a team's name."""
    if not name:
        raise ValidationError("Give the team a name.")
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in name):
        raise ValidationError("A team name cannot contain invisible or control characters.")
    scripts = scripts_of(name)
    if len(scripts) > 1 and not any(scripts <= allowed for allowed in ALLOWED_MIXES):
        raise ValidationError(
            f"The name {name!r} mixes letters of different scripts "
            f"({', '.join(sorted(s.title() for s in scripts))}), which can make it look like "
            "another team's name: write it in one script."
        )
    key = name_key(name)
    for existing in Group.objects.values_list("name", flat=True).iterator():
        if name_key(existing) == key:
            raise ValidationError(
                f"A team named {existing!r} exists already and {name!r} would look the same: "
                "choose another name."
            )


@transaction.atomic
def create_team(user, name: str) -> Team:
    name = name.strip()
    check_team_name(name)
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


@transaction.atomic
def delete_team(team: Team) -> None:
    """Delete the team with every grant given to it (their rows cascade) and its manager roles.

    Everyone leaves first: deleting the group would drop the membership rows without a signal,
    whereas clearing them is a membership change, so the receiver announces ``access_changed``
    for every member (open job pages and InfluxDB read grants follow at once).
    """
    team.user_set.clear()
    team.delete()
