"""``{% notification_bell %}`` (base template) and ``{% notification_preferences %}`` (account)."""

from __future__ import annotations

from django import template

from apps.notifications.services import preference_of, unread_count

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context) -> dict:
    return {"unread": unread_count(context["request"].user)}


@register.inclusion_tag("notifications/_preferences.html", takes_context=True)
def notification_preferences(context) -> dict:
    return {
        "preference": preference_of(context["request"].user),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def email_on_job_end(context) -> bool:
    """``{% email_on_job_end as default %}``: the user's default for the submit form's choice."""
    return preference_of(context["request"].user).email_on_job_end
