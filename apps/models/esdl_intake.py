"""Intake of uploaded ESDL models: safety checks, summaries, profile and pipe rewrites.

An uploaded ESDL file is hostile until proven otherwise. pyesdl parses with lxml (which expands
entities and, through pyecore, follows cross-document references), so every upload first goes
through a streaming pre-parse with defusedxml (no DTD, no entities, no processing instructions,
bounded size, depth and element count, no attribute that makes pyecore load another document) and
only then through pyesdl. Everything here is pure Python: no Django, no database, no network.

How pyecore/pyesdl would otherwise reach out (read from their source, pyesdl 26.10.4):

* an element with an ``href`` attribute becomes an ``EProxy``; the first attribute access on it
  calls ``Resource._try_resource_autoload`` which opens the referenced URI: ``open(path)`` for
  ``file://`` and relative paths, ``urllib.request.urlopen`` for ``http(s)://``. This happens
  lazily, e.g. when the simulator walks the model, not while loading;
* a value of a *non-containment reference attribute* (``connectedTo``, ``carrier``, ``related``,
  ``reference`` ...) of the form ``other.esdl#id`` (or ``esdl:Type other.esdl#id``) also becomes
  an external ``EProxy`` with the same lazy autoload;
* ``xsi:schemaLocation`` entries become proxies that are resolved when the root's namespace is not
  a registered metamodel;
* lxml itself would expand internal and external entities of a DTD (``resolve_entities`` is on by
  default).

The simulator (omotes-simulator-core) fetches a pipe from the Energy Data Repository when the
pipe's ``innerDiameter`` is 0/unset and ``diameter`` names a DN size (``EsdlAssetPipeMapper``);
:func:`resolve_pipe_sizes` fills ``innerDiameter`` so it never does.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import defusedxml.ElementTree as DefusedET
from defusedxml.common import DefusedXmlException, DTDForbidden, EntitiesForbidden
from esdl import esdl
from esdl.esdl_handler import EnergySystemHandler
from esdl.units.parser import unit_to_string
from lxml import etree
from pyecore.ecore import EObject, EProxy

logger = logging.getLogger(__name__)

ESDL_NS = "http://www.tno.nl/esdl"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XINCLUDE_NAMESPACES = frozenset(
    {"http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude"}
)
ROOT_TAG = f"{{{ESDL_NS}}}EnergySystem"

MAX_ESDL_BYTES = 20 * 1024 * 1024
#: A 1,000-asset model with geometry and profiles has some 50,000 elements; allow ten times that.
MAX_ELEMENTS = 500_000
#: Real models nest about 10 deep (system/instance/area/asset/port/profile/unit); nested areas
#: add a level each. libxml2 stops at 256 and pyecore recurses per level, so stay well below.
MAX_DEPTH = 64

_ALLOWED_ENCODINGS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_XML_DECL_ENCODING = re.compile(
    r"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})"""
)
_EDR_NAME = re.compile(r"^Steel-(S\d)-DN-(\d{1,4})$")
_DEFAULT_SERIES = "S1"
_DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_CATALOGUE_PATH = _DATA_DIR / "pipe_catalogue.json"


class EsdlRejected(ValueError):
    """An ESDL the product will not accept; ``str(exc)`` is a message fit to show the user."""


# --------------------------------------------------------------------------------------------
# Pre-parse (defusedxml, streaming) checks
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _reference_attribute_names() -> frozenset[str]:
    """Names of ESDL non-containment references: their values are resolved as (proxy) URIs."""
    names: set[str] = set()
    for classifier in esdl.eClass.eClassifiers:
        for ref in getattr(classifier, "eReferences", ()):
            if not ref.containment:
                names.add(ref.name)
    return frozenset(names)


def _edr_name(token: str) -> str | None:
    """``/edr/Public/Assets/Logstor/Steel-S1-DN-200.edd`` -> ``Steel-S1-DN-200``, else None.

    Plain string operations rather than a regex: linear on hostile input.
    """
    path = token.partition("#")[0]
    if not path.startswith("/edr/") or not path.endswith(".edd"):
        return None
    name = path.rsplit("/", 1)[-1][: -len(".edd")]
    return name or None


def _is_external_token(token: str) -> bool:
    """True if pyecore would treat ``token`` as a reference into another document."""
    return "#" in token and not token.startswith("#")


class _PrecheckTarget:
    """ElementTree parser target that inspects each start tag without building a tree.

    Raising from a handler stops expat at once, so a hostile file costs at most one pass over
    its bytes and no memory beyond the current element.
    """

    def __init__(self, max_elements: int, max_depth: int) -> None:
        self.max_elements = max_elements
        self.max_depth = max_depth
        self.elements = 0
        self.depth = 0
        self.root_seen = False
        self.line = lambda: 0  # replaced by the parser's line counter once it exists
        self.edr_related: dict[str, list[str]] = {}
        self._current_id = ""
        self.ref_names = _reference_attribute_names()

    def _fail(self, message: str) -> EsdlRejected:
        return EsdlRejected(f"Line {self.line()}: {message}")

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.elements += 1
        self.depth += 1
        if self.elements > self.max_elements:
            raise self._fail(f"the file has more than {self.max_elements:,} elements")
        if self.depth > self.max_depth:
            raise self._fail(f"elements are nested more than {self.max_depth} levels deep")
        namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        if not self.root_seen:
            self.root_seen = True
            if tag != ROOT_TAG:
                shown = f"{namespace} {local}".strip() if namespace else local
                raise EsdlRejected(
                    f"Not an ESDL file: root element is <{shown}>, expected <esdl:EnergySystem>"
                )
        elif namespace in XINCLUDE_NAMESPACES:
            raise self._fail("XInclude elements are not allowed")
        elif namespace and namespace != ESDL_NS:
            raise self._fail(f"element <{local}> from foreign namespace {namespace} not allowed")
        # EDR paths in `related` are tied to their pipe by id (name if the id is missing)
        self._current_id = attrib.get("id", "") or attrib.get("name", "")
        for key, value in attrib.items():
            self._check_attribute(local, key, value)

    def _check_attribute(self, element: str, key: str, value: str) -> None:
        namespace, _, name = key[1:].partition("}") if key.startswith("{") else ("", "", key)
        if namespace == XSI_NS and name in ("schemaLocation", "noNamespaceSchemaLocation"):
            raise self._fail(f"xsi:{name} is not allowed (it would load another document)")
        if name == "href":
            stripped = value.strip()
            if not stripped.startswith("#") or any(c.isspace() for c in stripped):
                raise self._fail(
                    f"<{element}> refers to another document (href={value[:100]!r}); "
                    "only references within the file are allowed"
                )
            return
        if namespace or name not in self.ref_names:
            return
        tokens = value.split()
        if name == "related":
            edr = [t for t in tokens if _edr_name(t)]
            if edr:
                self.edr_related.setdefault(self._current_id, []).extend(edr)
                tokens = [t for t in tokens if not _edr_name(t)]
        for token in tokens:
            if _is_external_token(token):
                raise self._fail(
                    f"attribute {name}={token[:100]!r} refers to another document; "
                    "only references within the file are allowed"
                )

    def end(self, tag: str) -> None:
        self.depth -= 1

    def data(self, data: str) -> None:
        return None

    def pi(self, target: str, data: str) -> None:
        raise self._fail(f"processing instruction <?{target} ...?> is not allowed")

    def comment(self, text: str) -> None:
        return None

    def close(self) -> None:
        return None


@dataclass
class _PrecheckResult:
    elements: int
    edr_related: dict[str, list[str]] = field(default_factory=dict)


def _precheck(data: bytes) -> _PrecheckResult:
    """Stream ``data`` through defusedxml/expat and refuse anything unsafe before lxml sees it.

    Limits are read from the module constants at call time so deployments (and tests) can
    tune them.
    """
    head = data[:300].decode("utf-8", errors="replace")
    match = _XML_DECL_ENCODING.match(head)
    if match and match.group(1).lower() not in _ALLOWED_ENCODINGS:
        raise EsdlRejected(
            f"The file declares encoding {match.group(1)!r}; only UTF-8 ESDL files are accepted"
        )
    target = _PrecheckTarget(MAX_ELEMENTS, MAX_DEPTH)
    parser = DefusedET.XMLParser(
        target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    expat = getattr(parser, "parser", None)
    if expat is not None:
        target.line = lambda: expat.CurrentLineNumber
    try:
        parser.feed(data)
        parser.close()
    except EsdlRejected:
        raise
    except (DTDForbidden, EntitiesForbidden):
        raise EsdlRejected("The file declares a DTD/entities, which are not allowed") from None
    except DefusedXmlException as exc:  # external references, or future defusedxml checks
        raise EsdlRejected(f"The file uses a forbidden XML feature: {exc}") from None
    except DefusedET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        reason = str(exc).split(":", 1)[0]
        raise EsdlRejected(
            f"Not a well-formed XML file: line {line}, column {column}: {reason}"
        ) from None
    if not target.root_seen:
        raise EsdlRejected("Not an ESDL file: no root element")
    return _PrecheckResult(elements=target.elements, edr_related=target.edr_related)


# --------------------------------------------------------------------------------------------
# Parsing with pyesdl (the one way in: _load)
# --------------------------------------------------------------------------------------------


@dataclass
class _Loaded:
    handler: EnergySystemHandler
    energy_system: Any
    edr_related: dict[str, list[str]]
    warnings: list[str]


def _strip_edr_related(text: str, edr_related: Mapping[str, list[str]]) -> str:
    """Drop EDR paths from ``related`` attributes: pyesdl cannot read them (it either crashes on
    the path or, with a ``#`` fragment, creates a proxy that would open the path as a file)."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    root = etree.fromstring(text.encode("utf-8"), parser)
    for element in root.iter():
        related = element.get("related")
        if related is None:
            continue
        kept = [t for t in related.split() if not _edr_name(t)]
        if kept:
            element.set("related", " ".join(kept))
        else:
            del element.attrib["related"]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def _iter_proxies(root: EObject) -> Iterator[tuple[EObject, EProxy]]:
    """Yield every unresolved-or-proxied reference value without ever resolving a proxy.

    ``eAllContents`` would call ``eContents`` on a contained proxy and thereby resolve it, so
    this walks containment by hand and only looks at proxies (``type(v) is EProxy`` and
    ``_proxy_path`` are safe to inspect on an unresolved proxy).
    """
    stack = [root]
    while stack:
        obj = stack.pop()
        for ref in obj.eClass.eAllReferences():
            if ref.derived:
                continue
            value = obj.eGet(ref)
            values = list(value) if ref.many else ([value] if value is not None else [])
            for item in values:
                if isinstance(item, EProxy):
                    yield obj, item
                elif ref.containment and isinstance(item, EObject):
                    stack.append(item)


def _load(text: str) -> _Loaded:
    """Check ``text`` and parse it with pyesdl; the only place the module parses ESDL."""
    result = _precheck(text.encode("utf-8"))
    to_parse = _strip_edr_related(text, result.edr_related) if result.edr_related else text
    handler = EnergySystemHandler()
    try:
        energy_system = handler.load_from_string(to_parse)
    except EsdlRejected:
        raise
    except Exception as exc:  # pyecore raises ValueError, TypeError, KeyError, AttributeError...
        logger.info("pyesdl refused an ESDL: %s: %s", type(exc).__name__, exc)
        raise EsdlRejected(f"The ESDL could not be read: {exc}") from None
    if not isinstance(energy_system, esdl.EnergySystem):
        raise EsdlRejected("The file does not contain an ESDL EnergySystem")
    for owner, proxy in _iter_proxies(energy_system):
        path = str(proxy._proxy_path)
        if not path.strip().startswith("#"):
            raise EsdlRejected(
                f"{owner.eClass.name} refers to another document ({path[:100]!r}); "
                "only references within the file are allowed"
            )
    warnings = list(getattr(handler.resource, "parse_information", []))
    for warning in warnings[:20]:
        logger.debug("pyesdl: %s", warning)
    return _Loaded(handler, energy_system, result.edr_related, warnings)


def to_text(handler: EnergySystemHandler) -> str:
    """Serialise a handler's energy system back to ESDL XML text."""
    return str(handler.to_string())


def check_esdl_upload(data: bytes, max_bytes: int = MAX_ESDL_BYTES) -> str:
    """Prove an uploaded ESDL harmless and readable; return its text or raise EsdlRejected.

    Never reads a file, opens a connection or expands entities: size and encoding are checked
    first, then a streaming defusedxml pass, then pyesdl, then a walk for leftover proxies.
    """
    if not data:
        raise EsdlRejected("The file is empty")
    if len(data) > max_bytes:
        raise EsdlRejected(
            f"The file is {len(data) / 1048576:.1f} MB; the limit is {max_bytes / 1048576:.1f} MB"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EsdlRejected(
            f"The file is not UTF-8 text (invalid byte at offset {exc.start})"
        ) from None
    if not text.strip():
        raise EsdlRejected("The file is empty")
    _load(text)
    return text


# --------------------------------------------------------------------------------------------
# Summary and input profiles
# --------------------------------------------------------------------------------------------


def _as_utc(value: datetime | None) -> datetime | None:
    """Naive ESDL dates are taken as UTC (the simulator compares UTC-aware datetimes)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class ProfileReference:
    """An ``esdl:InfluxDBProfile`` of the model: where its data lives and for which period."""

    id: str
    asset_id: str | None
    asset_name: str | None
    port_id: str | None
    host: str
    port: int
    database: str
    measurement: str
    field: str
    start: datetime | None
    end: datetime | None
    unit: str
    multiplier: float
    asset_power_w: float | None = None  # the asset's installed power, to scale a standard profile

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (ISO 8601 dates)."""
        return {
            "id": self.id,
            "asset_id": self.asset_id,
            "asset_name": self.asset_name,
            "port_id": self.port_id,
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "measurement": self.measurement,
            "field": self.field,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "unit": self.unit,
            "multiplier": self.multiplier,
            "asset_power_w": self.asset_power_w,
        }


def _profile_unit(profile: Any) -> str:
    qau = profile.profileQuantityAndUnit
    if isinstance(qau, esdl.QuantityAndUnitReference):
        qau = qau.reference
    if qau is None:
        return ""
    try:
        return str(unit_to_string(qau))
    except Exception:  # unknown enum literal in an exotic unit: show what we can
        return str(getattr(qau, "unit", ""))


def _containers(obj: EObject) -> Iterator[EObject]:
    current = obj.eContainer()
    while current is not None:
        yield current
        current = current.eContainer()


def _profile_refs(energy_system: Any) -> list[ProfileReference]:
    refs = []
    for obj in energy_system.eAllContents():
        if not isinstance(obj, esdl.InfluxDBProfile):
            continue
        port = next((c for c in _containers(obj) if isinstance(c, esdl.Port)), None)
        asset = next((c for c in _containers(obj) if isinstance(c, esdl.Asset)), None)
        refs.append(
            ProfileReference(
                id=obj.id,
                asset_id=asset.id if asset is not None else None,
                asset_name=asset.name if asset is not None else None,
                port_id=port.id if port is not None else None,
                host=obj.host or "",
                port=int(obj.port or 0),
                database=obj.database or "",
                measurement=obj.measurement or "",
                field=obj.field or "",
                start=_as_utc(obj.startDate),
                end=_as_utc(obj.endDate),
                unit=_profile_unit(obj),
                multiplier=float(obj.multiplier if obj.multiplier is not None else 1.0),
                asset_power_w=float(getattr(asset, "power", 0.0) or 0.0) or None,
            )
        )
    return refs


def profile_references(text: str) -> list[ProfileReference]:
    """All InfluxDB input profiles of the model, with their asset and port."""
    return _profile_refs(_load(text).energy_system)


def _iter_assets(energy_system: Any) -> Iterator[Any]:
    """Assets in the instances' areas, sub-areas included (not asset templates)."""
    stack = [inst.area for inst in energy_system.instance if inst.area is not None]
    while stack:
        area = stack.pop()
        yield from area.asset
        stack.extend(area.area)


def summarize_esdl(text: str) -> dict[str, Any]:
    """A JSON-serialisable overview for the upload page: assets, carriers, input profiles."""
    loaded = _load(text)
    es = loaded.energy_system
    counts: dict[str, int] = {}
    for asset in _iter_assets(es):
        counts[asset.eClass.name] = counts.get(asset.eClass.name, 0) + 1
    carriers = []
    info = es.energySystemInformation
    if info is not None and info.carriers is not None:
        for carrier in info.carriers.carrier:
            entry: dict[str, Any] = {
                "id": carrier.id,
                "name": carrier.name,
                "class": carrier.eClass.name,
            }
            if isinstance(carrier, esdl.HeatCommodity):
                # unset temperatures read as 0.0 in pyecore: report them as None instead
                for key, attr in (
                    ("supply_temperature", "supplyTemperature"),
                    ("return_temperature", "returnTemperature"),
                ):
                    entry[key] = getattr(carrier, attr) if carrier.eIsSet(attr) else None
            carriers.append(entry)
    profiles = _profile_refs(es)
    starts = [p.start for p in profiles if p.start is not None]
    ends = [p.end for p in profiles if p.end is not None]
    return {
        "name": es.name,
        "id": es.id,
        "asset_counts": dict(sorted(counts.items())),
        "asset_total": sum(counts.values()),
        "carriers": carriers,
        "input_profiles": [p.to_dict() for p in profiles],
        "profile_period": {
            "start": _iso(min(starts)) if starts else None,
            "end": _iso(max(ends)) if ends else None,
        },
        "unresolved_pipe_sizes": _unresolved(loaded),
        "parse_warnings": loaded.warnings[:50],
    }


@dataclass(frozen=True)
class ProfileTarget:
    """Where an input profile now lives (our own InfluxDB) and its exact period."""

    host: str
    port: int
    database: str
    measurement: str
    field: str
    start: datetime
    end: datetime


def rewrite_profiles(text: str, replacements: Mapping[str, ProfileTarget]) -> str:
    """Point InfluxDB profiles (by profile id) at our own store, in W, with UTC-aware dates.

    The frontend stores input profiles in W, so the unit becomes POWER in WATT and the
    multiplier 1; the simulator matches first/last points against start/end as UTC-aware
    datetimes, so naive dates are taken as UTC.
    """
    loaded = _load(text)
    by_id = {
        obj.id: obj
        for obj in loaded.energy_system.eAllContents()
        if isinstance(obj, esdl.InfluxDBProfile)
    }
    unknown = sorted(set(replacements) - set(by_id))
    if unknown:
        raise EsdlRejected(f"No InfluxDB profile with id {', '.join(unknown)} in this ESDL")
    for profile_id, target in replacements.items():
        profile = by_id[profile_id]
        profile.host = target.host
        profile.port = int(target.port)
        profile.database = target.database
        profile.measurement = target.measurement
        profile.field = target.field
        profile.startDate = _as_utc(target.start)
        profile.endDate = _as_utc(target.end)
        profile.multiplier = 1.0
        profile.profileQuantityAndUnit = esdl.QuantityAndUnitType(
            id=str(uuid.uuid4()),
            physicalQuantity=esdl.PhysicalQuantityEnum.POWER,
            unit=esdl.UnitEnum.WATT,
            multiplier=esdl.MultiplierEnum.NONE,
            description="Power in W",
        )
    return to_text(loaded.handler)


# --------------------------------------------------------------------------------------------
# Pipe catalogue and DN-only pipes
# --------------------------------------------------------------------------------------------


class PipeLayer(NamedTuple):
    """One layer around the pipe's inner wall, innermost first (steel, PUR, HDPE casing)."""

    thickness_m: float
    conductivity_w_per_mk: float
    material: str


@dataclass(frozen=True)
class PipeSpec:
    """A standard pre-insulated pipe, e.g. Steel-S1-DN-200 (Logstor catalogue via the EDR)."""

    name: str
    dn: int
    series: str
    inner_diameter_m: float
    outer_diameter_m: float
    layers: list[PipeLayer]
    investment_cost_eur_per_m: float

    def to_dict(self) -> dict[str, Any]:
        """The compact catalogue format of ``data/pipe_catalogue.json``."""
        return {
            "name": self.name,
            "dn": self.dn,
            "series": self.series,
            "inner_diameter_m": self.inner_diameter_m,
            "outer_diameter_m": self.outer_diameter_m,
            "layers": [list(layer) for layer in self.layers],
            "investment_cost_eur_per_m": self.investment_cost_eur_per_m,
        }

    @classmethod
    def from_dict(cls, entry: Mapping[str, Any]) -> PipeSpec:
        """Read one entry of the compact catalogue format."""
        return cls(
            name=str(entry["name"]),
            dn=int(entry["dn"]),
            series=str(entry["series"]),
            inner_diameter_m=float(entry["inner_diameter_m"]),
            outer_diameter_m=float(entry["outer_diameter_m"]),
            layers=[PipeLayer(float(t), float(k), str(m)) for t, k, m in entry.get("layers", [])],
            investment_cost_eur_per_m=float(entry["investment_cost_eur_per_m"]),
        )


def _edr_entry_to_spec(name: str, entry: Mapping[str, Any]) -> PipeSpec:
    match = _EDR_NAME.match(name)
    if not match:
        raise ValueError(f"Unexpected EDR pipe name {name!r}")
    series, dn = match.group(1), int(match.group(2))
    thicknesses = [float(t) for t in entry["insulation_thicknesses"]]
    conductivities = [float(k) for k in entry["conductivies_insulation"]]  # sic, EDR spelling
    outer = 0.0
    materials: list[str] = []
    xml_string = entry.get("xml_string")
    if xml_string:
        pipe = DefusedET.fromstring(xml_string.encode("utf-8"))
        outer = float(pipe.get("outerDiameter") or 0.0)
        for component in pipe.iter("component"):
            matter = component.find("matter")
            materials.append(matter.get("name", "") if matter is not None else "")
    if len(materials) != len(thicknesses):
        materials = [f"layer {i + 1}" for i in range(len(thicknesses))]
    if not outer:  # fall back to inner diameter plus all layers on both sides
        outer = float(entry["inner_diameter"]) + 2 * sum(thicknesses)
    return PipeSpec(
        name=name,
        dn=dn,
        series=series,
        inner_diameter_m=float(entry["inner_diameter"]),
        outer_diameter_m=outer,
        layers=[
            PipeLayer(t, k, m)
            for t, k, m in zip(thicknesses, conductivities, materials, strict=True)
        ],
        investment_cost_eur_per_m=float(entry.get("investment_costs", 0.0)),
    )


def load_edr_pipes(json_text: str) -> list[PipeSpec]:
    """Parse the EDR extract format (``edr_pipes.json``: name -> entry with ``xml_string``)."""
    data = json.loads(json_text)
    if not isinstance(data, dict):
        raise ValueError("EDR pipe file must map pipe names to entries")
    specs = [_edr_entry_to_spec(name, entry) for name, entry in data.items()]
    return sorted(specs, key=lambda s: (s.series, s.dn))


def load_catalogue_file(path: str | Path) -> list[PipeSpec]:
    """Read a pipe catalogue in either format: the EDR extract (dict) or our compact list.

    A sysadmin can point this at an updated catalogue without code changes.
    """
    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text)
    if isinstance(data, dict):
        return load_edr_pipes(text)
    if isinstance(data, list):
        return [PipeSpec.from_dict(entry) for entry in data]
    raise ValueError(f"{path}: not a pipe catalogue")


@lru_cache(maxsize=1)
def default_catalogue() -> Mapping[str, PipeSpec]:
    """The shipped catalogue (``data/pipe_catalogue.json``), keyed by EDR name."""
    return {spec.name: spec for spec in load_catalogue_file(DEFAULT_CATALOGUE_PATH)}


def _edr_name_for(pipe: Any, edr_paths: list[str]) -> str | None:
    """The catalogue entry a pipe names: its EDR path's file name, else ``DN<size>`` as S1.

    A bare ``diameter="DN200"`` has no series; the simulator assumes S1 (the thinnest
    insulation) when it fetches such a pipe, and so do we.
    """
    for path in edr_paths:
        name = _edr_name(path)
        if name:
            return name
    inner = pipe.innerDiameter
    diameter = pipe.diameter
    if inner:  # innerDiameter given: the simulator uses it and never fetches
        return None
    if diameter is None or diameter.name == "VALUE_SPECIFIED":
        return None
    return f"Steel-{_DEFAULT_SERIES}-DN-{diameter.name[2:]}"


def _pipes_needing_size(loaded: _Loaded) -> list[tuple[Any, str]]:
    pipes = []
    for asset in _iter_assets(loaded.energy_system):
        if not isinstance(asset, esdl.Pipe):
            continue
        name = _edr_name_for(asset, loaded.edr_related.get(asset.id or asset.name or "", []))
        if name is not None:
            pipes.append((asset, name))
    return pipes


def _unresolved(loaded: _Loaded) -> list[str]:
    return sorted({name for _, name in _pipes_needing_size(loaded)})


def unresolved_pipe_sizes(text: str) -> list[str]:
    """Distinct catalogue names (e.g. ``Steel-S1-DN-200``) of pipes that name only a size.

    These are pipes with ``diameter="DN..."`` and no ``innerDiameter``, or with a ``related``
    EDR path; the simulator would fetch them from the outside Energy Data Repository.
    """
    return _unresolved(_load(text))


def _describe_size(name: str) -> str:
    """``Steel-S1-DN-6`` -> ``DN6 (Steel-S1-DN-6)``: the user wrote the DN size."""
    match = _EDR_NAME.match(name)
    return f"DN{match.group(2)} ({name})" if match else name


def _material_for(spec: PipeSpec) -> Any:
    components = [
        esdl.CompoundMatterComponent(
            layerWidth=layer.thickness_m,
            matter=esdl.Material(
                id=str(uuid.uuid4()),
                name=layer.material,
                thermalConductivity=layer.conductivity_w_per_mk,
            ),
        )
        for layer in spec.layers
    ]
    return esdl.CompoundMatter(compoundType=esdl.CompoundTypeEnum.LAYERED, component=components)


def resolve_pipe_sizes(text: str, catalogue: Mapping[str, PipeSpec] | None = None) -> str:
    """Fill size-only pipes from the catalogue so the simulator never calls the EDR.

    Sets ``innerDiameter``, ``outerDiameter``, ``diameter`` and the layered insulation
    (``esdl:CompoundMatter``, as in the EDR entries), and removes EDR ``related`` paths.
    ``DN200`` without a series means S1; an EDR path names the exact entry. Raises
    EsdlRejected naming every size that the catalogue lacks.
    """
    catalogue = default_catalogue() if catalogue is None else catalogue
    loaded = _load(text)  # EDR `related` paths are already stripped here
    pipes = _pipes_needing_size(loaded)
    missing = sorted({name for _, name in pipes if name not in catalogue})
    if missing:
        shown = [_describe_size(name) for name in missing]
        raise EsdlRejected(f"Unknown pipe size(s), not in the pipe catalogue: {', '.join(shown)}")
    for pipe, name in pipes:
        spec = catalogue[name]
        pipe.innerDiameter = spec.inner_diameter_m
        pipe.outerDiameter = spec.outer_diameter_m
        literal = esdl.PipeDiameterEnum.from_string(f"DN{spec.dn}")
        if literal is not None:
            pipe.diameter = literal
        pipe.material = _material_for(spec)
    if pipes:
        logger.info("Resolved %d pipe size(s) from the catalogue", len(pipes))
    return to_text(loaded.handler)
