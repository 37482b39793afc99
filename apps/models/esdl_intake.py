"""Intake of uploaded ESDL models: the hostile-input check and the one way ESDL is parsed.

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

Before any of that, :func:`decode_upload` finds the file's encoding as an XML parser would (byte
order mark, else the declaration; UTF-8, UTF-16 or ISO-8859-1) and declares the text UTF-8, so
that every later step reads the same characters. The streaming pass also lists ids used twice and
references to no object (:class:`EsdlInvalid`): pyesdl would keep one of two objects with one id
and stop at the first unknown id with a bare ``KeyError``. The rules that need the parsed model
are in :mod:`apps.models.esdl_rules`.

The servers an ESDL names (an ``InfluxDBProfile``'s host and port, EDR paths) are never contacted
here. The profile binder reads from them only when the operator lists the server, with the
operator's credentials, never to a private address unless listed, bounded
(:mod:`apps.outside.fetch`).

:func:`load` is the only place ESDL text is parsed, and only
:class:`apps.models.esdl_document.EsdlDocument` calls it: a request builds one document and reads
the summary, the input profiles and the pipe sizes from it, so it parses the ESDL once.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import defusedxml.ElementTree as DefusedET
from defusedxml.common import DefusedXmlException, DTDForbidden, EntitiesForbidden
from esdl import esdl
from esdl.esdl_handler import EnergySystemHandler
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

#: At most this many broken rules are listed when a model is refused.
MAX_PROBLEMS = 20

_UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
#: Declared encodings an upload may use without a byte order mark -> Python codec. UTF-16 needs
#: its byte order mark (the XML rule); without one, its declaration cannot even be read as ASCII.
_DECLARED_ENCODINGS = {
    **dict.fromkeys(_UTF8_NAMES, "utf-8"),
    **dict.fromkeys(("iso-8859-1", "iso8859-1", "iso_8859-1", "latin-1", "latin1"), "latin-1"),
}
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_XML_DECL_ENCODING = re.compile(
    r"""^(\s*<\?xml[^>]{0,200}?encoding\s*=\s*["'])([A-Za-z0-9._-]{1,40})"""
)


class EsdlRejected(ValueError):
    """An ESDL the product will not accept; ``str(exc)`` is a message fit to show the user."""


class EsdlInvalid(EsdlRejected):
    """A readable ESDL that breaks a rule of the model (a reference to no object, a pipe of no
    length, ...); ``problems`` name each object (type, name, id), attribute and rule."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            self.problems.append(f"... and {len(problems) - MAX_PROBLEMS} more")
        super().__init__("The model breaks these rules: " + "; ".join(self.problems))


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


@lru_cache(maxsize=256)
def _references_of(class_name: str) -> frozenset[str]:
    """Names of the non-containment references of one ESDL class (none if it is unknown)."""
    classifier = esdl.eClass.getEClassifier(class_name)
    references = classifier.eAllReferences() if classifier is not None else ()
    return frozenset(ref.name for ref in references if not ref.containment)


def edr_name(token: str) -> str | None:
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


#: Elements whose ids must be unique even when nothing refers to them: the simulator and the
#: results name assets and ports by id. (Real models repeat the ids of copied cost or material
#: objects inside pipes; those stay allowed while nothing refers to them.)
_UNIQUE_ID_TAGS = frozenset({"asset", "port", "carrier"})


@dataclass(frozen=True)
class _Element:
    """An element as a refusal names it: ``Pipe "P1" (id 42)`` or ``InPort (id 7) of Pipe ...``."""

    tag: str
    kind: str
    name: str
    id: str
    asset: _Element | None

    def __str__(self) -> str:
        shown = self.kind + (f' "{self.name}"' if self.name else "")
        shown += f" (id {self.id})" if self.id else ""
        return f"{shown} of {self.asset}" if self.asset is not None else shown


class _PrecheckTarget:
    """ElementTree parser target that inspects each start tag without building a tree.

    Raising from a handler stops expat at once, so a hostile file costs at most one pass over
    its bytes, and memory for the ids and references it has seen: duplicate ids and references
    to no object are listed once the whole file has been read (pyesdl would keep one of two
    objects with the same id, and stop at the first unknown id with a bare ``KeyError``).
    """

    def __init__(self, max_elements: int, max_depth: int) -> None:
        self.max_elements = max_elements
        self.max_depth = max_depth
        self.elements = 0
        self.depth = 0
        self.root_seen = False
        self.line = lambda: 0  # replaced by the parser's line counter once it exists
        self.edr_related: dict[str, list[str]] = {}
        self.ref_names = _reference_attribute_names()
        self.problems: list[str] = []
        self._ids: dict[str, _Element] = {}
        self._duplicates: list[tuple[_Element, _Element]] = []
        self._references: list[tuple[_Element, str, str]] = []
        self._open: list[_Element] = []  # from the root down to the current element

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
        element = self._enter(local, attrib)
        for key, value in attrib.items():
            self._check_attribute(element, local, key, value)

    def _enter(self, local: str, attrib: dict[str, str]) -> _Element:
        parent = self._open[-1] if self._open else None
        element = _Element(
            tag=local,
            kind=attrib.get(f"{{{XSI_NS}}}type", local).rpartition(":")[2],
            name=attrib.get("name", ""),
            id=attrib.get("id", ""),
            asset=None if parent is None else parent if parent.tag == "asset" else parent.asset,
        )
        self._open.append(element)
        if element.id in self._ids:
            self._duplicates.append((element, self._ids[element.id]))
        elif element.id:
            self._ids[element.id] = element
        return element

    def _check_attribute(self, element: _Element, local: str, key: str, value: str) -> None:
        namespace, _, name = key[1:].partition("}") if key.startswith("{") else ("", "", key)
        if namespace == XSI_NS and name in ("schemaLocation", "noNamespaceSchemaLocation"):
            raise self._fail(f"xsi:{name} is not allowed (it would load another document)")
        if name == "href":
            stripped = value.strip()
            if not stripped.startswith("#") or any(c.isspace() for c in stripped):
                raise self._fail(
                    f"<{local}> refers to another document (href={value[:100]!r}); "
                    "only references within the file are allowed"
                )
            return
        if namespace or name not in self.ref_names:
            return
        tokens = value.split()
        if name == "related":
            edr = [t for t in tokens if edr_name(t)]
            if edr:
                # tied to their pipe by id (name if the id is missing)
                self.edr_related.setdefault(element.id or element.name, []).extend(edr)
                tokens = [t for t in tokens if not edr_name(t)]
        for token in tokens:
            if _is_external_token(token):
                raise self._fail(
                    f"attribute {name}={token[:100]!r} refers to another document; "
                    "only references within the file are allowed"
                )
            if "#" not in token and "/" not in token and name in _references_of(element.kind):
                self._references.append((element, name, token))  # a plain id

    def end(self, tag: str) -> None:
        self.depth -= 1
        self._open.pop()

    def data(self, data: str) -> None:
        return None

    def pi(self, target: str, data: str) -> None:
        raise self._fail(f"processing instruction <?{target} ...?> is not allowed")

    def comment(self, text: str) -> None:
        return None

    def close(self) -> None:
        referred = set()
        for element, attribute, token in self._references:
            referred.add(token)
            if token not in self._ids:
                self.problems.append(
                    f"{element}: {attribute} {token[:100]!r}: names no object in the model"
                )
        for element, first in self._duplicates:
            if element.id in referred or {element.tag, first.tag} & _UNIQUE_ID_TAGS:
                self.problems.append(
                    f"{element} and {first}: id {element.id!r}: ids of assets, ports, carriers "
                    "and of objects referred to must be unique"
                )


@dataclass
class _PrecheckResult:
    elements: int
    edr_related: dict[str, list[str]] = field(default_factory=dict)


def _precheck(data: bytes) -> _PrecheckResult:
    """Stream ``data`` through defusedxml/expat and refuse anything unsafe before lxml sees it.

    Limits are read from the module constants at call time so deployments (and tests) can
    tune them.
    """
    match = _XML_DECL_ENCODING.match(data[:300].decode("utf-8", errors="replace"))
    if match and match.group(2).lower() not in _UTF8_NAMES:  # decode_upload makes uploads UTF-8
        raise EsdlRejected(f"The text declares encoding {match.group(2)!r} instead of UTF-8")
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
    if target.problems:
        raise EsdlInvalid(target.problems)
    return _PrecheckResult(elements=target.elements, edr_related=target.edr_related)


# --------------------------------------------------------------------------------------------
# Parsing with pyesdl (the one way in: load)
# --------------------------------------------------------------------------------------------


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
        kept = [t for t in related.split() if not edr_name(t)]
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


def load(text: str) -> tuple[EnergySystemHandler, dict[str, list[str]], list[str]]:
    """Check ``text`` and parse it with pyesdl: the handler holding the energy system, the EDR
    paths taken out of ``related`` attributes (by element id, name if it has none) and pyesdl's
    warnings. Raises EsdlRejected.
    """
    result = _precheck(text.encode("utf-8"))
    to_parse = _strip_edr_related(text, result.edr_related) if result.edr_related else text
    handler = EnergySystemHandler()
    try:
        energy_system = handler.load_from_string(to_parse)
    except EsdlRejected:
        raise
    except Exception as exc:  # pyecore raises ValueError, TypeError, KeyError, AttributeError...
        logger.info("pyesdl refused an ESDL: %s: %s", type(exc).__name__, exc)
        raise EsdlRejected(f"The ESDL could not be read: {exc}. {_version_hint(text)}") from None
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
    return handler, result.edr_related, warnings


_ESDL_VERSION = re.compile(r"""\besdlVersion\s*=\s*["']([^"']{1,40})["']""")


def _version_hint(text: str) -> str:
    """Name the ESDL version a file that pyesdl cannot read was written for: often an older
    one, whose attributes or classes were renamed since."""
    from importlib.metadata import version

    match = _ESDL_VERSION.search(text[:5000])
    stated = (
        f"The file states ESDL version {match.group(1)}"
        if match
        else "The file does not state its ESDL version (files older than 2021 do not)"
    )
    return (
        f"{stated}; this product reads the ESDL of pyesdl {version('pyesdl')}. Open and save "
        "the model in a current ESDL editor (such as the ESDL MapEditor) to update it."
    )


def restore_edr_related(text: str, edr_related: Mapping[str, list[str]]) -> str:
    """Put the EDR paths that :func:`load` took out back into ``related``, by element id (or
    name), so that a changed model saved as text still names its exact catalogue entries.

    ``text`` is pyesdl's own serialisation of a checked model, not an upload.
    """
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    root = etree.fromstring(text.encode("utf-8"), parser)
    for element in root.iter():
        paths = edr_related.get(element.get("id") or element.get("name") or "")
        if paths:
            element.set("related", " ".join([*element.get("related", "").split(), *paths]))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def decode_upload(data: bytes, max_bytes: int = MAX_ESDL_BYTES) -> str:
    """The text of an uploaded ESDL file, declared as UTF-8, or EsdlRejected: size and encoding
    come first.

    The encoding is found as an XML parser finds it: a byte order mark (UTF-8, UTF-16), else the
    XML declaration (UTF-8, ASCII, ISO-8859-1), else UTF-8. The declaration is rewritten to
    UTF-8, the encoding every later step reads the text in. The text still has to go through
    :func:`load` (by building an :class:`~apps.models.esdl_document.EsdlDocument`) before it is
    proven harmless.
    """
    if not data:
        raise EsdlRejected("The file is empty")
    if len(data) > max_bytes:
        raise EsdlRejected(
            f"The file is {len(data) / 1048576:.1f} MB; the limit is {max_bytes / 1048576:.1f} MB"
        )
    encoding = next((codec for bom, codec in _BYTE_ORDER_MARKS if data.startswith(bom)), None)
    if encoding is None:
        match = _XML_DECL_ENCODING.match(data[:300].decode("ascii", errors="replace"))
        declared = match.group(2) if match else "UTF-8"
        encoding = _DECLARED_ENCODINGS.get(declared.lower())
        if encoding is None:
            raise EsdlRejected(
                f"The file declares encoding {declared!r}; ESDL files are read in UTF-8, "
                "ISO-8859-1 or UTF-16 (with a byte order mark)"
            )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        shown = "UTF-8" if encoding.startswith("utf-8") else encoding.upper()
        raise EsdlRejected(
            f"The file is not {shown} text (invalid byte at offset {exc.start})"
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise EsdlRejected("The file is empty")
    return _XML_DECL_ENCODING.sub(r"\1UTF-8", text, count=1)
