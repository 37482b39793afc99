"""A job's messages next to the assets they are about, for the job page.

Workers name an asset in a message by its ESDL id only (``esdl_object_id``): the optimiser's
"Demand 'X' cannot be met: 12 GJ short", the simulator's per-asset warnings. The page shows each
message with the asset's name and type from the ESDL the job ran on, so a user sees which
demand falls short and which producer is at its limit without opening the model.
"""

from __future__ import annotations

import io
from typing import Any

import defusedxml.ElementTree as DefusedET
from defusedxml.common import DefusedXmlException

from apps.jobs.models import Job
from apps.models.esdl_intake import XSI_NS

_TYPE = f"{{{XSI_NS}}}type"


def assets_named(esdl_text: str, ids: set[str]) -> dict[str, tuple[str, str]]:
    """Asset id -> (name, ESDL class) for ``ids``, read in one streaming pass over the ESDL
    (a job page must not load a 5,000-asset model into pyesdl to name three assets)."""
    found: dict[str, tuple[str, str]] = {}
    if not ids or not esdl_text:
        return found
    try:
        for _, element in DefusedET.iterparse(io.StringIO(esdl_text), events=("start",)):
            asset_id = element.get("id")
            if asset_id in ids and asset_id not in found:
                kind = element.get(_TYPE, "").rpartition(":")[2]
                found[asset_id] = (element.get("name") or asset_id, kind)
                if len(found) == len(ids):
                    break
    except (DefusedET.ParseError, DefusedXmlException):
        return found  # the job's ESDL was checked at upload; a broken one names nothing
    return found


def messages_with_assets(job: Job) -> list[dict[str, Any]]:
    """The job's messages, each with ``asset_name`` and ``asset_class`` when it is about an
    asset of the ESDL it ran on (empty otherwise: about the whole model, or an id not there)."""
    ids = {str(m["esdl_object_id"]) for m in job.messages if m.get("esdl_object_id")}
    esdl_text = Job.objects.filter(pk=job.pk).values_list("esdl", flat=True).first() if ids else ""
    named = assets_named(esdl_text or "", ids)
    shown = []
    for message in job.messages:
        name, kind = named.get(str(message.get("esdl_object_id") or ""), ("", ""))
        shown.append({**message, "asset_name": name, "asset_class": kind})
    return shown
