"""What the model page's variations section shows: ``{% variation_panel model as panel %}`` and
``{% changeable_attributes model as assets %}``."""

from __future__ import annotations

from typing import Any

from django import template

from apps.models.models import EsdlModel
from apps.models.variations import changeable_attributes
from apps.sharing.access import visible_to

register = template.Library()


@register.simple_tag(takes_context=True)
def variation_panel(context, esdl_model: EsdlModel) -> dict[str, Any]:
    """Other models of the project (to mark this one a variation of) and this model's
    variations."""
    user = context["request"].user
    siblings = (
        visible_to(user, EsdlModel)
        .filter(project_id=esdl_model.project_id)
        .exclude(pk=esdl_model.pk)
        .only("pk", "name")
        .order_by("name")
    )
    return {
        "siblings": list(siblings),
        "variations": list(esdl_model.variations.only("pk", "name").order_by("name")),
    }


register.simple_tag(changeable_attributes, name="changeable_attributes")
