"""Uploading ESDL models and preparing their ESDL for a job."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError

from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_intake import EsdlInvalid, EsdlRejected
from apps.models.esdl_rules import check_rules
from apps.models.models import EsdlModel, PipeType, Project
from apps.profiles.limits import ProfileLimits
from apps.profiles.services import rewrite_for_job
from designtoolkit import wakeups

logger = logging.getLogger(__name__)


def refusal(exc: EsdlRejected) -> ValidationError:
    """The ValidationError that tells the user why an ESDL was refused.

    A model that breaks rules of the model (:class:`EsdlInvalid`) gets one message per broken
    rule and the code ``unprocessable``: well-formed, but not a model we can run (HTTP 422 in
    the API); anything else (too big, not XML, unsafe) one message.
    """
    if isinstance(exc, EsdlInvalid):
        return ValidationError(
            [ValidationError(problem, code="unprocessable") for problem in exc.problems]
        )
    return ValidationError(str(exc), code="invalid")


class ProfilesNotReady(ValidationError):
    """A job was asked of a model whose input profiles are not bound (yet): 409 in the API."""

    def __init__(self, esdl_model: EsdlModel) -> None:
        if esdl_model.profiles_status == EsdlModel.ProfilesStatus.FAILED:
            message = (
                f"The input profiles of {esdl_model.name} could not be bound "
                f"({esdl_model.profiles_error}); upload the model again."
            )
        else:
            message = (
                f"The input profiles of {esdl_model.name} are still being bound "
                f"({esdl_model.profiles_done} of {esdl_model.profiles_total}); a job can start "
                "once they are ready."
            )
        super().__init__(message)


def upload_esdl_model(project: Project, name: str, data: bytes) -> EsdlModel:
    """Check, summarise and store an uploaded ESDL; its input profiles are bound afterwards.

    Raises ValidationError with the reason when the file is refused; nothing is stored then.
    """
    try:
        document = EsdlDocument.from_upload(data, settings.ESDL_MAX_BYTES)
    except EsdlRejected as exc:
        raise refusal(exc) from exc
    return store_esdl_model(project, name, document, size_bytes=len(data))


def store_esdl_model(
    project: Project, name: str, document: EsdlDocument, size_bytes: int | None = None
) -> EsdlModel:
    """Store a checked document as a new model of ``project``, with its summary.
    ``size_bytes``: of the uploaded file (default: of the stored text).

    The model's rules (:func:`apps.models.esdl_rules.check_rules`, with the bounds on what its
    input profiles may write) are checked first: raises ValidationError naming every broken rule
    when the model is refused; nothing is stored then. A model with input profiles is stored
    pending: the profile binder (:mod:`apps.profiles.binding`) binds them after this returns.
    """
    from apps.jobs.preflight import upload_checks  # jobs depend on models, not the reverse
    from apps.jobs.workflows import known_workflows

    try:
        check_rules(document, ProfileLimits.from_settings())
        summary = document.summary()
    except EsdlRejected as exc:
        raise refusal(exc) from exc
    summary.update(upload_checks(document, [described for described, _ in known_workflows()]))
    text = document.to_text()
    references = len(summary["input_profiles"])
    esdl_model = EsdlModel.objects.create(
        project=project,
        name=name or summary.get("name") or "ESDL model",
        esdl=text,
        size_bytes=len(text.encode("utf-8")) if size_bytes is None else size_bytes,
        summary=summary,
        profiles_status=(
            EsdlModel.ProfilesStatus.PENDING
            # the binder also fetches its size-only pipes from the EDR (apps.outside.edr)
            if references or (settings.EDR_URL and summary["unresolved_pipe_sizes"])
            else EsdlModel.ProfilesStatus.READY
        ),
        profiles_total=references,
    )
    if esdl_model.profiles_status == EsdlModel.ProfilesStatus.PENDING:
        wakeups.notify(wakeups.PROFILE_BINDER)
    logger.info("model %s stored (%d bytes)", esdl_model.pk, esdl_model.size_bytes)
    return esdl_model


def esdl_for_job(esdl_model: EsdlModel, document: EsdlDocument | None = None) -> str:
    """The model's ESDL as a worker can run it, with nothing left to fetch from outside (R23).

    Pipes that name only a size get their properties from the model's pipe catalogue or ours,
    profiles holding results of an earlier run are left out, unnamed assets are named after
    their type and id, and every input profile points at
    the profile bound to it in our InfluxDB: ProfilesNotReady until they are. ``document``: the
    model's ESDL already parsed (it is changed).
    """
    if esdl_model.profiles_status != EsdlModel.ProfilesStatus.READY:
        raise ProfilesNotReady(esdl_model)
    try:
        document = document or EsdlDocument(esdl_model.esdl)
        document.drop_result_profiles()
        document.name_unnamed_assets()
        if document.unresolved_pipe_sizes() or document.catalogue_pipes():
            document.resolve_pipe_sizes(
                {pipe.name: pipe.as_spec() for pipe in PipeType.objects.all()}
            )
    except EsdlRejected as exc:
        raise refusal(exc) from exc
    rewrite_for_job(esdl_model, document)
    return document.to_text()
