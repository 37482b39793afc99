"""The ESDL a job runs, prepared once for each state of what it is made from, and kept.

A model's text never changes after upload. What a job of it runs (pre-flight checked, pipe sizes
resolved, input profiles pointing at our InfluxDB: :func:`apps.models.services.esdl_for_job`)
depends only on that text, the workflow's pre-flight rules (by version), the input profiles bound
to the model and the pipe catalogue. Preparing it parses the model: about half of a submission's
CPU for a 10-asset network, seconds for a thousand assets, the same work each time a user runs a
model again. So the prepared text is kept in the cache under a key made of all of those inputs:
a changed binding or catalogue entry makes a new key, and nothing needs to be forgotten.

Only a prepared ESDL is kept; a refusal is checked again at the next submit (it may have been
mended meanwhile, by a catalogue entry or a binding).
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.cache import cache

from apps.jobs.preflight import check_before_submit, pipe_catalogue
from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_intake import EsdlRejected
from apps.models.models import EsdlModel
from apps.models.services import ProfilesNotReady, esdl_for_job, refusal
from omotes.preflight import checked_as
from omotes.protocol import WorkflowDescription

#: How long a prepared ESDL is kept after it was last prepared.
KEPT_S = 3600
#: Larger prepared texts are not kept: the cache holds many users' entries in memory.
MAX_KEPT_CHARS = 8 * 1024 * 1024
#: Part of every key: raise it when the preparation itself changes (a deploy forgets the old).
PREPARATION_VERSION = 1


def job_esdl(esdl_model: EsdlModel, description: WorkflowDescription) -> str:
    """The ESDL a job of ``description``'s workflow runs for ``esdl_model``; raises what a
    refused submit raises (ModelCannotRun naming the assets, ProfilesNotReady, ValidationError).

    Prepared and checked once per state of its inputs, then taken from the cache.
    """
    if esdl_model.profiles_status != EsdlModel.ProfilesStatus.READY:
        raise ProfilesNotReady(esdl_model)
    kept = cache.get(_key(esdl_model, description))
    if kept is not None:
        return kept
    try:
        document = EsdlDocument(esdl_model.esdl)
    except EsdlRejected as exc:
        raise refusal(exc) from exc
    check_before_submit(esdl_model, description, document)  # may bind standard demands
    text = esdl_for_job(esdl_model, document)
    if len(text) <= MAX_KEPT_CHARS:
        cache.set(_key(esdl_model, description), text, KEPT_S)  # the bindings as used
    return text


def _key(esdl_model: EsdlModel, description: WorkflowDescription) -> str:
    bindings = esdl_model.profile_bindings.order_by("esdl_profile_id").values_list(
        "esdl_profile_id", "profile_id", "profile__start", "profile__end"
    )
    inputs = {
        "preparation": PREPARATION_VERSION,
        "model": [esdl_model.pk, esdl_model.created_at.isoformat(), esdl_model.size_bytes],
        "workflow": [description.name, checked_as(description)],
        "bindings": [[i, p, start.isoformat(), end.isoformat()] for i, p, start, end in bindings],
        "catalogue": [spec.to_dict() for _, spec in sorted(pipe_catalogue().items())],
        "profiles_at": [settings.INFLUX_URL, settings.INFLUX_PROFILES_DATABASE],
    }
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    return f"dt:job-esdl:{digest}"
