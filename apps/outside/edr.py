"""The Energy Data Repository (EDR): pipes that an ESDL names only by size, fetched from a
configured EDR (``DT_EDR_URL``, on the operator's list like every outside server) and cached in
the pipe catalogue with where and when they came from.

The API is the public EDR's, as pyesdl's ``EDRClient`` asks it: ``GET <EDR>/store/edr/query
?addESDL=true&path=/edr/Public/Assets/Logstor/Steel-S1-DN-200.edd`` with ``Accept:
application/json`` answers a JSON list of items whose ``esdl`` is the base64 of an ESDL document
holding the one ``esdl:Pipe``. That document is outside input like an upload: parsed with
defusedxml, within the fetch's byte limit, and only its numbers taken.

Without an EDR, or when it fails, the local catalogue (:class:`apps.models.models.PipeType`,
loaded from the shipped file) answers, as before; a size neither knows is refused at submission.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import defusedxml.ElementTree as DefusedET
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.models.models import PipeType
from apps.models.pipe_catalogue import PipeLayer, PipeSpec
from apps.outside.fetch import Limits, OutsideRefused, OutsideUnreachable, get, server_of_url
from apps.outside.models import FetchedPipe

logger = logging.getLogger(__name__)

QUERY_PATH = "/store/edr/query"
_PIPE_NAME = re.compile(r"^Steel-(S\d)-DN-(\d{1,4})$")
#: A pipe fetched this recently is taken from the catalogue without asking the EDR again.
CACHE_FOR = timedelta(days=30)


def edr_path(name: str) -> str:
    """The EDR path of a catalogue name, as the simulator would ask for it."""
    return f"/edr/Public/Assets/Logstor/{name}.edd"


@dataclass(frozen=True)
class EdrPipe:
    spec: PipeSpec
    url: str
    checksum: str


def fetch_pipe(name: str, limits: Limits) -> EdrPipe:
    """The pipe ``name`` (``Steel-S1-DN-200``) from the configured EDR; OutsideRefused when
    there is no EDR, it lacks the pipe or its answer is not a pipe, OutsideUnreachable when it
    cannot be read now."""
    if not settings.EDR_URL:
        raise OutsideRefused("no Energy Data Repository is configured (DT_EDR_URL)")
    server, base = server_of_url(settings.EDR_URL)
    params = {"addESDL": "true", "path": edr_path(name)}
    body = get(server, f"{base}{QUERY_PATH}", params, limits)
    url = f"{server.url}{base}{QUERY_PATH}?{urlencode(params)}"
    try:
        items = json.loads(body)
        encoded = items[0]["esdl"] if items else None
        if encoded is None:
            raise OutsideRefused(f"the Energy Data Repository has no {edr_path(name)}")
        text = base64.b64decode(encoded, validate=True)
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error) as exc:
        raise OutsideRefused(f"{server.url} did not answer like an Energy Data Repository") from exc
    spec = pipe_from_esdl(name, text)
    return EdrPipe(spec, url, f"sha256:{hashlib.sha256(text).hexdigest()}")


def pipe_from_esdl(name: str, text: bytes) -> PipeSpec:
    """The catalogue entry in an EDR pipe document: diameters, layers, cost per metre."""
    match = _PIPE_NAME.match(name)
    if not match:
        raise OutsideRefused(f"{name!r} is not a pipe of the EDR's Logstor series")
    try:
        pipe = DefusedET.fromstring(text)
        if not pipe.tag.endswith("Pipe"):
            raise ValueError(f"the document holds a {pipe.tag}, not a Pipe")
        layers = []
        for component in pipe.iter("component"):
            matter = component.find("matter")
            if matter is None:
                raise ValueError("a layer without its material")
            layers.append(
                PipeLayer(
                    float(component.get("layerWidth")),
                    float(matter.get("thermalConductivity")),
                    matter.get("name", "")[:100],
                )
            )
        costs = pipe.find("costInformation/investmentCosts")
        spec = PipeSpec(
            name=name,
            dn=int(match.group(2)),
            series=match.group(1),
            inner_diameter_m=float(pipe.get("innerDiameter")),
            outer_diameter_m=float(pipe.get("outerDiameter")),
            layers=layers,
            investment_cost_eur_per_m=float(costs.get("value")) if costs is not None else 0.0,
        )
    except (DefusedET.ParseError, DefusedXmlException, ValueError, TypeError) as exc:
        raise OutsideRefused(f"the EDR's {name} is not a pipe we can read: {exc}") from exc
    numbers = [spec.inner_diameter_m, spec.outer_diameter_m, *(t for t, _, _ in layers)]
    if (
        not layers
        or not all(0 < n < 10 for n in numbers)
        or spec.outer_diameter_m <= (spec.inner_diameter_m)
    ):
        raise OutsideRefused(f"the EDR's {name} has no plausible diameters and layers")
    return spec


def refresh_pipes_from_edr(names: list[str], limits: Limits | None = None) -> dict[str, str]:
    """Bring each pipe of ``names`` into the catalogue from the EDR unless it came from there
    within :data:`CACHE_FOR`; returns, per pipe not fetched, why (the local catalogue's entry,
    if any, stays). Nothing is asked when no EDR is configured."""
    if not settings.EDR_URL or not names:
        return {}
    limits = limits or Limits.from_settings()
    fresh = set(
        FetchedPipe.objects.filter(
            pipe__name__in=names, fetched_at__gte=timezone.now() - CACHE_FOR
        ).values_list("pipe__name", flat=True)
    )
    problems: dict[str, str] = {}
    for name in sorted(set(names) - fresh):
        try:
            fetched = fetch_pipe(name, limits)
        except (OutsideRefused, OutsideUnreachable) as exc:
            problems[name] = str(exc)
            logger.warning("pipe %s not fetched from the EDR: %s", name, exc)
            if isinstance(exc, OutsideUnreachable):  # the rest would wait out the same timeouts
                problems.update({n: str(exc) for n in set(names) - fresh - set(problems)})
                break
            continue
        with transaction.atomic():
            pipe, _ = PipeType.objects.update_or_create(
                name=name, defaults=PipeType.fields_from(fetched.spec)
            )
            FetchedPipe.objects.update_or_create(
                pipe=pipe,
                defaults={
                    "url": fetched.url[:500],
                    "checksum": fetched.checksum,
                    "fetched_at": timezone.now(),
                },
            )
        logger.info("pipe %s fetched from the EDR (%s)", name, fetched.checksum)
    return problems
