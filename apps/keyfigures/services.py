"""Loading key-figure versions and choosing the default one."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction

from apps.keyfigures.figures import Figure, KeyFigureFileError, parse
from apps.keyfigures.models import KeyFigure, KeyFigureVersion

MAX_FILE_BYTES = 2 * 1024 * 1024
#: The dataset shipped with the product; migration 0002 loads it as the first default.
SHIPPED_DATASET = Path(__file__).resolve().parent / "data" / "keyfigures-2026.csv"
SHIPPED_NAME = "keyfigures-2026"


def read_upload(data: bytes, filename: str = "") -> list[Figure]:
    """Figures of an uploaded file (bytes), or KeyFigureFileError."""
    if len(data) > MAX_FILE_BYTES:
        raise KeyFigureFileError([(0, f"file larger than {MAX_FILE_BYTES // 1024} KiB")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KeyFigureFileError([(0, f"not UTF-8 text ({exc.reason})")]) from exc
    return parse(text, filename)


@transaction.atomic
def load_version(
    data: bytes,
    name: str,
    *,
    filename: str = "",
    default: bool = False,
    description: str = "",
    user=None,
) -> KeyFigureVersion:
    """Create a version from a file; all of it or nothing (KeyFigureFileError, changing nothing)."""
    name = name.strip()
    if not name:
        raise KeyFigureFileError([(0, "the version needs a name")])
    figures = read_upload(data, filename)
    if KeyFigureVersion.objects.filter(name=name).exists():
        raise KeyFigureFileError([(0, f"a version named {name!r} exists; versions never change")])
    try:
        version = KeyFigureVersion.objects.create(
            name=name, description=description, source_file=filename[:255], loaded_by=user
        )
    except IntegrityError as exc:  # loaded at the same moment by someone else
        raise KeyFigureFileError([(0, f"a version named {name!r} exists")]) from exc
    KeyFigure.objects.bulk_create(
        KeyFigure(
            version=version,
            key=f.key,
            value=f.value,
            unit=f.unit,
            source=f.source,
            valid_from=f.valid_from,
            valid_to=f.valid_to,
            note=f.note[:200],
            line=f.line,
        )
        for f in figures
    )
    if default:
        make_default(version)
    return version


@transaction.atomic
def make_default(version: KeyFigureVersion) -> None:
    KeyFigureVersion.objects.filter(is_default=True).exclude(pk=version.pk).update(is_default=False)
    KeyFigureVersion.objects.filter(pk=version.pk).update(is_default=True)
    version.is_default = True


def default_version() -> KeyFigureVersion | None:
    return KeyFigureVersion.objects.filter(is_default=True).first()


def ensure_shipped_dataset() -> KeyFigureVersion:
    """The shipped version, loaded (as the default when there is none) if it is missing, e.g.
    after a database was emptied."""
    version = KeyFigureVersion.objects.filter(name=SHIPPED_NAME).first()
    if version is None:
        version = load_version(
            SHIPPED_DATASET.read_bytes(),
            SHIPPED_NAME,
            filename=SHIPPED_DATASET.name,
            default=default_version() is None,
            description="First dataset shipped with the Design Toolkit; sources per figure.",
        )
    return version


def key_figures_used(job) -> dict | None:
    """Which key-figure version (and which dynamic values) a job's costs used, for its history;
    None before it was costed (a job that did not succeed, or ended before costing existed)."""
    try:
        costing = job.costing
    except ObjectDoesNotExist:
        return None
    return {
        "version": costing.version.name if costing.version else None,
        "dynamic_values": costing.dynamic_values,
    }
