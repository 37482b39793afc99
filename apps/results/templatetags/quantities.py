"""Template filters that show a value in the unit a person reads (see apps.results.quantities)."""

from __future__ import annotations

from django import template

from apps.results.quantities import catalogue, format_readable, to_si

register = template.Library()


@register.filter
def readable(value, unit: str) -> str:
    """``{{ kpi.value|readable:kpi.unit }}``: '398,735 MWh' reads '399 GWh'; '' for no value."""
    if value is None or value == "":
        return ""
    try:
        return format_readable(float(value), unit or "")
    except (TypeError, ValueError):
        return str(value)


@register.filter
def in_si(value, unit: str) -> str:
    """The value in its SI unit, for a tooltip beside the readable one: '1.4e+15 J'."""
    if value is None or value == "":
        return ""
    try:
        number, si_unit = to_si(float(value), unit or "")
    except (TypeError, ValueError):
        return str(value)
    return f"{number:.6g} {si_unit}".strip()


@register.simple_tag
def quantity_catalogue() -> dict:
    """The catalogue for ``json_script``: charts convert with it instead of a copy in JS."""
    return catalogue()
