"""Key-figure files: what a version of the key-figure database holds, read and checked.

A *key figure* is one number the economic KPIs need: an investment cost per asset type and size,
O&M, an efficiency or COP, a lifetime, an emission factor or a price per energy carrier, the
discount rate. A sysadmin loads a set of them as a *version* from a CSV or JSON file; everything
here is pure Python (no Django), so the data migration that loads the shipped dataset and the
loader share one parser.

File format
-----------
CSV, UTF-8, first line a header with the columns ``key, value, unit, source`` (required, in any
order) and ``valid_from, valid_to, note`` (optional; dates as YYYY-MM-DD, empty for open).
Lines starting with ``#`` are comments. JSON: a list of objects with the same names, or an object
``{"figures": [...]}``; "line" in an error is then the position in the list (1-based).

Keys are ``<family>.<figure>[.<size>]``, for example::

    pipe.investment_eur_per_m.DN200,1355.3,EUR/m,"EDR Logstor steel S1 ..."
    heat_pump.investment_eur_per_kw,900,EUR/kW,"Danish Energy Agency ..."
    emission_factor.natural_gas,202,kg/MWh,"IPCC 2006 ..."
    finance.discount_rate,5,%,"..."

The unit must be one of :data:`UNITS` and the one the key's family takes (:data:`FAMILIES`), so a
figure in EUR/MW where EUR/kW is meant is refused instead of costing a network a thousand times
too much. A file with any error (unknown unit or key, missing column, duplicate key, a negative
cost, an efficiency of zero, a bad date) is refused as a whole, each error with its line.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

#: Every unit a key figure may be given in.
UNITS: frozenset[str] = frozenset(
    {"EUR/m", "EUR/kW", "EUR/kW/yr", "EUR/MWh", "%", "%/yr", "-", "yr", "kg/MWh"}
)

#: Asset types with their own figures (ESDL class -> family in :mod:`omotes.economics`).
ASSET_FAMILIES = (
    "generic_producer",
    "heat_pump",
    "gas_heater",
    "electric_boiler",
    "geothermal_source",
    "residual_heat_source",
    "heat_storage",
    "ates",
    "pipe",
)
#: Energy carriers bought by producers.
CARRIERS = ("natural_gas", "electricity", "residual_heat")

_ASSET = "|".join(ASSET_FAMILIES)
_CARRIER = "|".join(CARRIERS)


@dataclass(frozen=True)
class Family:
    pattern: re.Pattern[str]
    unit: str
    minimum: float  # inclusive
    maximum: float  # inclusive
    what: str


def _family(regex: str, unit: str, minimum: float, maximum: float, what: str) -> Family:
    return Family(re.compile(rf"^(?:{regex})$"), unit, minimum, maximum, what)


#: The keys a file may hold, the unit each takes, and the range that makes sense.
FAMILIES: tuple[Family, ...] = (
    _family(r"pipe\.investment_eur_per_m\.DN\d{1,4}", "EUR/m", 0, 1e6, "pipe cost per metre"),
    _family(rf"(?:{_ASSET})\.investment_eur_per_kw", "EUR/kW", 0, 1e5, "investment per kW"),
    _family(rf"(?:{_ASSET})\.fixed_om_eur_per_kw_yr", "EUR/kW/yr", 0, 1e4, "fixed O&M"),
    _family(r"pipe\.fixed_om_percent_of_capex", "%/yr", 0, 100, "fixed O&M of pipes"),
    _family(rf"(?:{_ASSET})\.variable_om_eur_per_mwh", "EUR/MWh", 0, 1e4, "variable O&M"),
    _family(rf"(?:{_ASSET})\.lifetime", "yr", 1, 200, "technical lifetime"),
    _family(rf"(?:{_ASSET})\.efficiency", "-", 0.01, 100, "efficiency or COP"),
    _family(rf"emission_factor\.(?:{_CARRIER})", "kg/MWh", 0, 1e4, "CO2 per MWh of carrier"),
    _family(rf"energy_price\.(?:{_CARRIER})", "EUR/MWh", 0, 1e5, "price per MWh bought"),
    _family(r"finance\.discount_rate", "%", 0, 100, "discount rate"),
)

REQUIRED_COLUMNS = ("key", "value", "unit", "source")
OPTIONAL_COLUMNS = ("valid_from", "valid_to", "note")
MAX_FIGURES = 5_000


@dataclass(frozen=True)
class Figure:
    key: str
    value: float
    unit: str
    source: str
    valid_from: date | None = None
    valid_to: date | None = None
    note: str = ""
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "unit": self.unit,
            "source": self.source,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "note": self.note,
        }


class KeyFigureFileError(ValueError):
    """The file is refused; ``errors`` holds (line, message) for every problem found."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        shown = "; ".join(f"line {n}: {m}" if n else m for n, m in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(f"Key-figure file refused: {shown}{more}")


def family_of(key: str) -> Family | None:
    return next((f for f in FAMILIES if f.pattern.match(key)), None)


def _date(text: str, column: str, errors: list[str]) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(f"{column} {text!r} is not a date (YYYY-MM-DD)")
        return None


def check_value(key: str, value: float, unit: str) -> list[str]:
    """What is wrong with one figure (empty when nothing): unknown key or unit, wrong unit for
    the key, out of its family's range. Dynamic sources check fetched values with this too."""
    problems = []
    if unit not in UNITS:
        problems.append(f"unknown unit {unit!r} (known: {', '.join(sorted(UNITS))})")
    family = family_of(key)
    if family is None:
        problems.append(f"unknown key {key!r}")
        return problems
    if unit in UNITS and unit != family.unit:
        problems.append(f"{key} takes {family.unit}, not {unit}")
    if not math.isfinite(value):
        problems.append(f"{key}: value is not a finite number")
    elif value < 0 and family.minimum >= 0:
        problems.append(f"{key}: negative value {value:g} ({family.what} cannot be negative)")
    elif not family.minimum <= value <= family.maximum:
        problems.append(
            f"{key}: {value:g} {family.unit} outside {family.minimum:g}..{family.maximum:g}"
        )
    return problems


def _row(record: dict[str, Any], line: int, errors: list[tuple[int, str]]) -> Figure | None:
    if "_error" in record:
        errors.append((line, record["_error"]))
        return None
    problems: list[str] = []
    key = str(record.get("key") or "").strip()
    unit = str(record.get("unit") or "").strip()
    source = str(record.get("source") or "").strip()
    raw = record.get("value")
    value = math.nan
    if not key:
        problems.append("key is empty")
    if not source:
        problems.append("source is empty: name where the figure comes from")
    try:
        if isinstance(raw, bool):
            raise ValueError
        value = float(str(raw).strip())
    except (TypeError, ValueError):
        problems.append(f"value {raw!r} is not a number")
    if key and not problems:
        problems.extend(check_value(key, value, unit))
    valid_from = _date(str(record.get("valid_from") or ""), "valid_from", problems)
    valid_to = _date(str(record.get("valid_to") or ""), "valid_to", problems)
    if valid_from and valid_to and valid_to < valid_from:
        problems.append("valid_to is before valid_from")
    errors.extend((line, p) for p in problems)
    if problems:
        return None
    note = str(record.get("note") or "").strip()
    return Figure(key, value, unit, source, valid_from, valid_to, note, line)


def _check_all(records: Iterable[tuple[int, dict[str, Any]]]) -> list[Figure]:
    errors: list[tuple[int, str]] = []
    figures: list[Figure] = []
    first_line: dict[str, int] = {}
    for line, record in records:
        if len(figures) + len(errors) > MAX_FIGURES:
            errors.append((line, f"more than {MAX_FIGURES} figures"))
            break
        figure = _row(record, line, errors)
        key = str(record.get("key") or "").strip()
        if key in first_line:
            errors.append((line, f"duplicate key {key} (first on line {first_line[key]})"))
            continue
        if key:
            first_line[key] = line
        if figure is not None:
            figures.append(figure)
    if not figures and not errors:
        errors.append((0, "the file holds no figures"))
    if errors:
        raise KeyFigureFileError(errors)
    return figures


def parse_csv(text: str) -> list[Figure]:
    lines = [(n, row) for n, row in enumerate(text.splitlines(), 1)]
    content = [(n, row) for n, row in lines if row.strip() and not row.lstrip().startswith("#")]
    if not content:
        raise KeyFigureFileError([(0, "the file is empty")])
    try:
        rows = list(csv.reader(io.StringIO("\n".join(row for _, row in content))))
    except csv.Error as exc:
        raise KeyFigureFileError([(0, f"not CSV: {exc}")]) from exc
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [h for h in header if h not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    header_line = content[0][0]
    if missing or unknown:
        errors = [(header_line, f"missing column {c!r}") for c in missing]
        errors += [(header_line, f"unknown column {c!r}") for c in unknown]
        raise KeyFigureFileError(errors)
    records = []
    for (line, _), row in zip(content[1:], rows[1:], strict=False):
        if len(row) > len(header):
            records.append((line, {"_error": f"{len(row)} cells, the header has {len(header)}"}))
            continue
        records.append((line, dict(zip(header, row, strict=False))))
    return _check_all(records)


def parse_json(text: str) -> list[Figure]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise KeyFigureFileError([(0, f"not JSON: {exc}")]) from exc
    if isinstance(data, dict):
        data = data.get("figures")
    if not isinstance(data, list):
        raise KeyFigureFileError([(0, 'JSON must be a list of figures or {"figures": [...]}')])
    records = []
    errors: list[tuple[int, str]] = []
    for n, item in enumerate(data, 1):
        if not isinstance(item, dict):
            errors.append((n, "not an object"))
            continue
        missing = [c for c in REQUIRED_COLUMNS if c not in item]
        errors.extend((n, f"missing column {c!r}") for c in missing)
        if not missing:
            records.append((n, item))
    if errors:
        raise KeyFigureFileError(errors)
    return _check_all(records)


def parse(text: str, filename: str = "") -> list[Figure]:
    """Figures from a CSV or JSON file (JSON when the name ends in .json or the text starts
    with ``[`` or ``{``); KeyFigureFileError naming every problem with its line."""
    stripped = text.lstrip("\ufeff").lstrip()
    if filename.lower().endswith(".json") or stripped[:1] in ("[", "{"):
        return parse_json(stripped)
    return parse_csv(text.lstrip("\ufeff"))
