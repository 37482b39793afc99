"""The network of a model or a job, parsed once per ESDL text and cached.

Parsing an ESDL and laying a network out costs seconds for 1,000 assets (pyesdl, then
networkx for a schematic), and an ESDL text never changes once stored (models are not
rewritten in place; a job keeps the text it ran), so the answer is cached under the text's
SHA-256: a model and every visit to it share one entry. :data:`LAYOUT_VERSION` is part of the key
so that a change to the drawing code does not serve old pictures.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.core.cache import cache

from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_intake import EsdlRejected
from apps.network.geometry import network_geojson

logger = logging.getLogger(__name__)

LAYOUT_VERSION = 1
CACHE_S = 7 * 24 * 3600


def network_of_text(esdl_text: str) -> dict[str, Any]:
    """The map's network of an ESDL text (:func:`apps.network.geometry.network_geojson`); an
    empty network with the reason in ``notes`` when the text cannot be read."""
    digest = hashlib.sha256(esdl_text.encode("utf-8")).hexdigest()
    key = f"dt:network:{LAYOUT_VERSION}:{digest}"
    network = cache.get(key)
    if network is None:
        network = _build(esdl_text)
        cache.set(key, network, CACHE_S)
    return network


def _build(esdl_text: str) -> dict[str, Any]:
    try:
        document = EsdlDocument(esdl_text)
    except EsdlRejected as exc:
        logger.warning("network map: ESDL not readable", extra={"reason": str(exc)[:200]})
        return {
            "type": "FeatureCollection",
            "layout": "schematic",
            "features": [],
            "notes": [f"The model could not be read: {str(exc)[:300]}"],
            "asset_total": 0,
        }
    return network_geojson(list(document.assets()))
