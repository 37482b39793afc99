"""The network map's settings for its template (``templates/network/_map.html``)."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def map_tiles() -> dict[str, str]:
    """The tile server the operator configured (``DT_MAP_TILE_URL``), or none: a plain map."""
    return {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION}
