"""Variations: models of one project marked as variants of one another, or copied and changed.

A variation is an ordinary :class:`EsdlModel` whose ``variation_of`` names the model it varies; the
comparison page (``apps.comparison``) charts the results of a project's variations side by side.
A copy with a changed asset attribute goes through the same upload path as a file (checked,
summarised, input profiles bound), so it is as runnable as any uploaded model; the copy's ESDL is
parsed once, changed and stored from that one document.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import esdl
from django.core.exceptions import ValidationError
from django.db import transaction
from esdl.esdl_handler import EnergySystemHandler

from apps.models.esdl_attributes import numeric_attributes
from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_intake import EsdlRejected
from apps.models.models import EsdlModel
from apps.models.services import refusal, store_esdl_model, upload_esdl_model

logger = logging.getLogger(__name__)

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


def changeable_attributes(esdl_model: EsdlModel) -> list[dict]:
    """Per asset, the numeric attributes a variation may change, with their current values.

    It parses the model, which takes a while for a large one; a model's text never changes, so
    the model page keeps what it renders of this (``templates/models/_variations.html``).
    """
    found = []
    try:
        document = EsdlDocument(esdl_model.esdl)
    except EsdlRejected as exc:  # the model page must not fail on a model we cannot read
        logger.warning("model %s not parsed for variations: %s", esdl_model.pk, exc)
        return []
    for asset in document.assets():
        attributes = [
            {"name": f.name, "value": getattr(asset, f.name)}
            for f in numeric_attributes(asset)
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
    return found


def copy_as_variation(
    base: EsdlModel, name: str, changes: list[AttributeChange] | None = None
) -> EsdlModel:
    """A new model in ``base``'s project: its ESDL with ``changes``, a variation of ``base``.

    ValidationError for an unknown asset or attribute, or a copy that breaks a rule of the model;
    nothing is stored then.
    """
    try:
        document = EsdlDocument(base.esdl)
        for change in changes or ():
            document.set_number(change.asset_id, change.attribute, change.value)
    except EsdlRejected as exc:
        raise refusal(exc) from exc
    with transaction.atomic():
        variation = store_esdl_model(base.project, name, document)
        mark_variation(variation, base)
    logger.info("model %s stored as a variation of %s", variation.pk, base.pk)
    return variation


def upload_variation(base: EsdlModel, name: str, data: bytes) -> EsdlModel:
    """Store an ESDL (an edited copy of ``base``, say) as a variation of ``base``.

    Checked like any upload; raises ValidationError with the reason when it is refused.
    """
    with transaction.atomic():
        variation = upload_esdl_model(base.project, name, data)
        mark_variation(variation, base)
    logger.info("model %s stored as a variation of %s", variation.pk, base.pk)
    return variation


def save_job_output_as_variation(job, name: str) -> EsdlModel:
    """Store a job's output ESDL (the optimiser's sized network) as a variation of its model.

    The output's own profiles (series in the job's database: the optimiser's producer
    schedules, a simulation's results) are left out: the variation is a design to run, and the
    job's data goes when the job is deleted. Checked like any upload.
    """
    if not job.output_esdl:
        raise ValidationError("This job has no output ESDL to save.")
    handler = EnergySystemHandler()
    try:
        energy_system = handler.load_from_string(job.output_esdl)
    except Exception as exc:  # noqa: BLE001 - pyesdl raises many kinds for a bad document
        raise ValidationError(f"The job's output ESDL cannot be read: {exc}") from exc
    own = [
        profile
        for profile in energy_system.eAllContents()
        if isinstance(profile, esdl.InfluxDBProfile) and profile.database == job.database
    ]
    for profile in own:
        profile.delete()
    return upload_variation(job.esdl_model, name, handler.to_string().encode("utf-8"))
