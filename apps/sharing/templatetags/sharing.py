from __future__ import annotations

from django import template

from apps.sharing.services import access_level, grants_of
from apps.sharing.views import SHARED_KINDS

register = template.Library()


@register.inclusion_tag("sharing/_panel.html", takes_context=True)
def sharing_panel(context, obj) -> dict:
    """Who has access to the object; the owner also gets the share and revoke forms."""
    kind = next(k for k, model in SHARED_KINDS.items() if isinstance(obj, model))
    level = access_level(context["request"].user, obj)
    return {
        "object": obj,
        "kind": kind,
        "access": level,
        "grants": grants_of(obj) if level == "owner" else [],
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def access_to(context, obj) -> str:
    """``{% access_to obj as access %}``: "owner", "edit", "view" or ""; pages hide what the
    user may not do (the views refuse it anyway)."""
    return access_level(context["request"].user, obj) or ""
