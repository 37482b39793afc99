from __future__ import annotations

from django import template

from apps.sharing.access import level_of, owner_of
from apps.sharing.services import grants_of, inherited_grants
from apps.sharing.views import SHARED_KINDS

register = template.Library()


@register.inclusion_tag("sharing/_panel.html", takes_context=True)
def sharing_panel(context, obj, access: str) -> dict:
    """Who has access to the object; the owner also gets the share and revoke forms, anyone
    else learns whose it is (for a job that is its project's owner, not who submitted it).

    ``access`` is what ``access_to`` found for the page already (each lookup costs a query).
    """
    kind = next(k for k, model in SHARED_KINDS.items() if isinstance(obj, model))
    is_owner = access == "owner"
    return {
        "object": obj,
        "kind": kind,
        "access": access,
        "grants": grants_of(obj) if is_owner else [],
        "inherited": inherited_grants(obj) if is_owner else [],
        "owner": None if is_owner else owner_of(obj),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def access_to(context, obj) -> str:
    """``{% access_to obj as access %}``: "owner", "edit", "view" or ""; pages hide what the
    user may not do (the views refuse it anyway). A page asks for the same object from several
    panels: one query per object and request."""
    request = context["request"]
    known = request.__dict__.setdefault("_access_levels", {})
    key = (obj._meta.label, obj.pk)
    if key not in known:
        known[key] = level_of(request.user, obj) or ""
    return known[key]
