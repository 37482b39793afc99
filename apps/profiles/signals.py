"""No input profile outlives the last model that binds it.

A model goes away with its project or its owner too (database cascades, the admin,
``User.delete()``); every such path sends ``pre_delete`` for each model, while its bindings still
exist. The profiles they bound are removed once the transaction has committed (a rolled-back
delete keeps them), points first (see :func:`apps.profiles.services.forget_profiles`).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from apps.models.models import EsdlModel
from apps.profiles.services import forget_unbound_profiles_quietly


@receiver(pre_delete, sender=EsdlModel, dispatch_uid="profiles-forget-unbound")
def forget_profiles_of_deleted_model(sender, instance: EsdlModel, **kwargs) -> None:
    bound = list(instance.profile_bindings.values_list("profile_id", flat=True))
    if bound:
        transaction.on_commit(lambda: forget_unbound_profiles_quietly(bound))
