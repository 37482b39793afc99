"""Variations: models of one project marked as variants of one another, or copied and changed.

A variation is an ordinary :class:`EsdlModel` whose ``variation_of`` names the model it varies; the
comparison page (``apps.comparison``) charts the results of a project's variations side by side.
A copy with a changed asset attribute goes through the same upload path as a file (checked,
summarised, input profiles bound), so it is as runnable as any uploaded model.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import esdl
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from esdl.esdl_handler import EnergySystemHandler
from pyecore.ecore import EAttribute

from apps.models.models import EsdlModel
from apps.models.services import upload_esdl_model

logger = logging.getLogger(__name__)

NUMERIC_TYPES = frozenset({"EDouble", "EFloat", "EInt", "ELong"})
#: Offered for every asset class that has them, even when the ESDL leaves them unset.
COMMON_ATTRIBUTES = ("power", "capacity")


@dataclass(frozen=True)
class AttributeChange:
    asset_id: str
    attribute: str
    value: float


def mark_variation(esdl_model: EsdlModel, base: EsdlModel | None) -> None:
    """Make ``esdl_model`` a variation of ``base`` (None: of no model).

    Raises ValidationError unless both are in the same project and no cycle would form.
    """
    if base is not None:
        if base.pk == esdl_model.pk:
            raise ValidationError("A model cannot be a variation of itself.")
        if base.project_id != esdl_model.project_id:
            raise ValidationError("A variation must be in the same project as its model.")
        seen = {esdl_model.pk}
        ancestor: EsdlModel | None = base
        while ancestor is not None:
            if ancestor.pk in seen:
                raise ValidationError(
                    f"{base.name} is itself a variation of {esdl_model.name} (a cycle)."
                )
            seen.add(ancestor.pk)
            ancestor = (
                EsdlModel.objects.only("pk", "variation_of")
                .filter(pk=ancestor.variation_of_id)
                .first()
                if ancestor.variation_of_id
                else None
            )
    EsdlModel.objects.filter(pk=esdl_model.pk).update(variation_of=base)
    esdl_model.variation_of = base


def _numeric_attributes(asset) -> list[EAttribute]:
    return [
        feature
        for feature in asset.eClass.eAllStructuralFeatures()
        if isinstance(feature, EAttribute) and feature.eType.name in NUMERIC_TYPES
    ]


def changeable_attributes(esdl_model: EsdlModel) -> list[dict]:
    """Per asset, the numeric attributes a variation may change, with their current values.

    Parsing a large ESDL takes a while and a model's text never changes, so this is cached.
    """
    key = f"dt:variations:attributes:{esdl_model.pk}"
    found = cache.get(key)
    if found is None:
        found = []
        try:
            energy_system = EnergySystemHandler().load_from_string(esdl_model.esdl)
        except Exception:  # noqa: BLE001 - the model page must not fail on a model we cannot read
            logger.warning("model not parsed for variations", extra={"model_id": esdl_model.pk})
            return []
        for asset in energy_system.eAllContents():
            if not isinstance(asset, esdl.Asset):
                continue
            attributes = [
                {"name": f.name, "value": getattr(asset, f.name)}
                for f in _numeric_attributes(asset)
                if asset.eIsSet(f.name) or f.name in COMMON_ATTRIBUTES
            ]
            if attributes:
                found.append(
                    {
                        "asset_id": asset.id,
                        "asset_name": asset.name or asset.id,
                        "asset_class": asset.eClass.name,
                        "attributes": attributes,
                    }
                )
        cache.set(key, found, 24 * 3600)
    return found


def apply_changes(esdl_text: str, changes: list[AttributeChange]) -> str:
    """The ESDL with each change applied; ValidationError for an unknown asset or attribute."""
    handler = EnergySystemHandler()
    energy_system = handler.load_from_string(esdl_text)
    assets = {a.id: a for a in energy_system.eAllContents() if isinstance(a, esdl.Asset)}
    for change in changes:
        asset = assets.get(change.asset_id)
        if asset is None:
            raise ValidationError(f"The model has no asset {change.asset_id!r}.")
        feature = next((f for f in _numeric_attributes(asset) if f.name == change.attribute), None)
        if feature is None:
            raise ValidationError(
                f"{asset.eClass.name} {asset.name or asset.id} has no number {change.attribute!r}."
            )
        value = change.value
        if feature.eType.name in ("EInt", "ELong"):
            if value != int(value):
                raise ValidationError(f"{change.attribute} takes whole numbers.")
            value = int(value)
        setattr(asset, change.attribute, value)
    return str(handler.to_string())


def copy_as_variation(
    base: EsdlModel, name: str, changes: list[AttributeChange] | None = None
) -> EsdlModel:
    """A new model in ``base``'s project: its ESDL with ``changes``, a variation of ``base``."""
    text = apply_changes(base.esdl, changes) if changes else base.esdl
    return upload_variation(base, name, text.encode("utf-8"))


def upload_variation(base: EsdlModel, name: str, data: bytes) -> EsdlModel:
    """Store an ESDL (an edited copy of ``base``, say) as a variation of ``base``.

    Checked like any upload; raises ValidationError with the reason when it is refused.
    """
    with transaction.atomic():
        variation = upload_esdl_model(base.project, name, data)
        mark_variation(variation, base)
    logger.info("variation created", extra={"model_id": variation.pk, "variation_of": base.pk})
    return variation
