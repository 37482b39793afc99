"""Object permissions (django-guardian) with direct foreign keys, one table pair per shared kind.

Direct foreign keys instead of guardian's generic tables: a grant disappears with its object
(no orphans pointing at a reused primary key) and the ``visible_to`` querysets join on integer
keys instead of casting ``object_pk`` text.
"""

from __future__ import annotations

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class ProjectUserGrant(UserObjectPermissionBase):
    content_object = models.ForeignKey(
        "esdlmodels.Project", on_delete=models.CASCADE, related_name="user_grants"
    )


class ProjectTeamGrant(GroupObjectPermissionBase):
    content_object = models.ForeignKey(
        "esdlmodels.Project", on_delete=models.CASCADE, related_name="team_grants"
    )


class EsdlModelUserGrant(UserObjectPermissionBase):
    content_object = models.ForeignKey(
        "esdlmodels.EsdlModel", on_delete=models.CASCADE, related_name="user_grants"
    )


class EsdlModelTeamGrant(GroupObjectPermissionBase):
    content_object = models.ForeignKey(
        "esdlmodels.EsdlModel", on_delete=models.CASCADE, related_name="team_grants"
    )


class JobUserGrant(UserObjectPermissionBase):
    content_object = models.ForeignKey(
        "jobs.Job", on_delete=models.CASCADE, related_name="user_grants"
    )


class JobTeamGrant(GroupObjectPermissionBase):
    content_object = models.ForeignKey(
        "jobs.Job", on_delete=models.CASCADE, related_name="team_grants"
    )
