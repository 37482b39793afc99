"""What differs between each variation and the baseline: assets added and removed, attributes
changed (old -> new, with units), the job's parameters, the key figures it was costed with.

Each job's ESDL is the one sent to its worker (pipes resolved from the catalogue), so a change
that reached the simulation shows here. Jobs never change, so each pair's differences are
computed once and cached.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from pyecore.ecore import EAttribute, EEnum

from apps.comparison.services import CACHE_S, variation_labels
from apps.jobs.models import Job
from apps.keyfigures.models import JobCosting
from apps.models.esdl_attributes import ATTRIBUTE_UNITS, NUMERIC_TYPES
from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_intake import EsdlRejected

logger = logging.getLogger(__name__)

#: asset id -> (name, ESDL class, attributes that are set)
Assets = dict[str, tuple[str, str, dict[str, Any]]]
_SKIPPED = {"id", "name", "shortName", "description", "aggregated", "aggregationCount"}
MAX_CHANGES = 500


def _comparable(asset: Any) -> dict[str, Any]:
    """The asset's numeric and choice attributes that are set: name -> value."""
    values = {}
    for feature in asset.eClass.eAllStructuralFeatures():
        if not isinstance(feature, EAttribute) or feature.name in _SKIPPED:
            continue
        if feature.eType.name not in NUMERIC_TYPES and not isinstance(feature.eType, EEnum):
            continue
        if asset.eIsSet(feature.name):
            value = getattr(asset, feature.name)
            values[feature.name] = value.name if hasattr(value, "name") else value
    return values


def _assets(esdl_text: str) -> Assets | None:
    """asset id -> (name, class, attributes); None when the ESDL cannot be read."""
    try:
        document = EsdlDocument(esdl_text)
    except EsdlRejected:
        return None
    return {
        a.id: (a.name or a.id, a.eClass.name, _comparable(a)) for a in document.assets() if a.id
    }


def _asset_ref(asset_id: str, entry: tuple[str, str, dict]) -> dict[str, str]:
    return {"asset_id": asset_id, "name": entry[0], "asset_class": entry[1]}


def diff_models(base: Assets | None, other: Assets | None) -> dict[str, Any]:
    """Assets added, removed and changed from ``base`` to ``other`` (see :func:`_assets`)."""
    if base is None or other is None:
        return {"added": [], "removed": [], "changed": [], "error": "An ESDL could not be read."}
    added = [_asset_ref(i, e) for i, e in other.items() if i not in base]
    removed = [_asset_ref(i, e) for i, e in base.items() if i not in other]
    changed = []
    for asset_id, (name, asset_class, new_values) in other.items():
        if asset_id not in base:
            continue
        old_values = base[asset_id][2]
        for attribute in sorted(set(old_values) | set(new_values)):
            old, new = old_values.get(attribute), new_values.get(attribute)
            if old != new:
                changed.append(
                    {
                        "asset_id": asset_id,
                        "name": name,
                        "asset_class": asset_class,
                        "attribute": attribute,
                        "old": old,
                        "new": new,
                        "unit": ATTRIBUTE_UNITS.get(attribute, ""),
                    }
                )
    return {
        "added": added,
        "removed": removed,
        "changed": changed[:MAX_CHANGES],
        "more_changes": max(len(changed) - MAX_CHANGES, 0),
        "error": "",
    }


def _params(base: Job, other: Job) -> list[dict[str, Any]]:
    rows = []
    if base.workflow != other.workflow:
        rows.append({"key": "workflow", "old": base.workflow, "new": other.workflow})
    for key in sorted(set(base.params) | set(other.params)):
        old, new = base.params.get(key), other.params.get(key)
        if old != new:
            rows.append({"key": key, "old": old, "new": new})
    return rows


def differences(jobs: Sequence[Job], baseline: Job) -> dict[str, Any]:
    """Each variation against the baseline (the baseline's own entry is empty)."""
    versions = dict(
        JobCosting.objects.filter(job__in=[j.pk for j in jobs]).values_list(
            "job_id", "version__name"
        )
    )
    keys = {job.pk: f"dt:compare:diff:{baseline.pk}:{job.pk}" for job in jobs if job != baseline}
    models = {pk: cache.get(key) for pk, key in keys.items()}
    missing = [pk for pk, found in models.items() if found is None]
    if missing:
        texts = dict(Job.objects.filter(pk__in=[baseline.pk, *missing]).values_list("pk", "esdl"))
        base = _assets(texts.get(baseline.pk, ""))  # parsed once for all variations
        for pk in missing:
            models[pk] = diff_models(base, _assets(texts.get(pk, "")))
            cache.set(keys[pk], models[pk], CACHE_S)
    out = []
    for job, label in zip(jobs, variation_labels(jobs), strict=True):
        entry: dict[str, Any] = {
            "job": str(job.pk),
            "label": label,
            "baseline": job.pk == baseline.pk,
            "key_figures": versions.get(job.pk) or "",
        }
        if job.pk != baseline.pk:
            entry.update(models[job.pk])
            entry["params"] = _params(baseline, job)
            base_version = versions.get(baseline.pk) or ""
            entry["key_figures_changed"] = entry["key_figures"] != base_version
        out.append(entry)
    return {"baseline": str(baseline.pk), "variations": out}
