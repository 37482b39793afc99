"""Uploading ESDL models and preparing their ESDL for a job."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.models.esdl_intake import EsdlRejected, check_esdl_upload
from apps.models.esdl_summary import summarize_esdl
from apps.models.models import EsdlModel, PipeType, Project
from apps.models.pipe_catalogue import resolve_pipe_sizes, unresolved_pipe_sizes
from apps.profiles.services import bind_standard_profiles, rewrite_for_job

logger = logging.getLogger(__name__)


def upload_esdl_model(project: Project, name: str, data: bytes) -> EsdlModel:
    """Check, summarise and store an uploaded ESDL; bind its input profiles.

    Raises ValidationError with the reason when the file is refused; nothing is stored then.
    """
    try:
        text = check_esdl_upload(data, settings.ESDL_MAX_BYTES)
        summary = summarize_esdl(text)
    except EsdlRejected as exc:
        raise ValidationError(str(exc)) from exc
    with transaction.atomic():
        esdl_model = EsdlModel.objects.create(
            project=project,
            name=name or summary.get("name") or "ESDL model",
            esdl=text,
            size_bytes=len(data),
            summary=summary,
        )
        bind_standard_profiles(esdl_model)
    logger.info("model uploaded", extra={"model_id": esdl_model.pk, "bytes": len(data)})
    return esdl_model


def esdl_for_job(esdl_model: EsdlModel) -> str:
    """The model's ESDL as a worker can run it, with nothing left to fetch from outside (R23).

    Pipes that name only a size get their properties from our pipe catalogue, and every input
    profile points at the profile bound to it in our InfluxDB.
    """
    text = esdl_model.esdl
    try:
        if unresolved_pipe_sizes(text):
            catalogue = {pipe.name: pipe.as_spec() for pipe in PipeType.objects.all()}
            text = resolve_pipe_sizes(text, catalogue)
    except EsdlRejected as exc:
        raise ValidationError(str(exc)) from exc
    return rewrite_for_job(esdl_model, text)
