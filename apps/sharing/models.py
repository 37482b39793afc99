"""Object permissions (django-guardian) with direct foreign keys, one table pair per shared kind.

Direct foreign keys instead of guardian's generic tables: a grant disappears with its object
(no orphans pointing at a reused primary key) and the querysets of ``apps.sharing.access``
compare integer keys instead of casting ``object_pk`` text.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.urls import reverse
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class ProjectUserGrant(UserObjectPermissionBase):
    content_object = models.ForeignKey(
        "models.Project", on_delete=models.CASCADE, related_name="user_grants"
    )


class ProjectTeamGrant(GroupObjectPermissionBase):
    content_object = models.ForeignKey(
        "models.Project", on_delete=models.CASCADE, related_name="team_grants"
    )


class EsdlModelUserGrant(UserObjectPermissionBase):
    content_object = models.ForeignKey(
        "models.EsdlModel", on_delete=models.CASCADE, related_name="user_grants"
    )


class EsdlModelTeamGrant(GroupObjectPermissionBase):
    content_object = models.ForeignKey(
        "models.EsdlModel", on_delete=models.CASCADE, related_name="team_grants"
    )


class JobUserGrant(UserObjectPermissionBase):
    content_object = models.ForeignKey(
        "jobs.Job", on_delete=models.CASCADE, related_name="user_grants"
    )


class JobTeamGrant(GroupObjectPermissionBase):
    content_object = models.ForeignKey(
        "jobs.Job", on_delete=models.CASCADE, related_name="team_grants"
    )


class Team(Group):
    """A Django group as users see it: people a project or model can be shared with at once."""

    class Meta:
        proxy = True

    def get_absolute_url(self) -> str:
        return reverse("sharing:team", args=[self.pk])


class TeamManagerRole(models.Model):
    """A member who may add and remove the team's members (its creator, to begin with)."""

    team = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="managers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_manager_row_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} manages {self.team}"
