"""``manage.py load_key_figures FILE --name NAME [--default]``: load a key-figure version."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.keyfigures.figures import KeyFigureFileError
from apps.keyfigures.services import load_version


class Command(BaseCommand):
    help = "Load a key-figure version from a CSV or JSON file (format: apps/keyfigures/figures.py)"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--name", required=True, help="name of the new version")
        parser.add_argument("--default", action="store_true", help="make it the default")
        parser.add_argument("--description", default="")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        try:
            version = load_version(
                data,
                options["name"],
                filename=path.name,
                default=options["default"],
                description=options["description"],
            )
        except KeyFigureFileError as exc:
            raise CommandError("\n".join(_lines(exc))) from exc
        count = version.figures.count()
        default = " (now the default)" if version.is_default else ""
        self.stdout.write(f"Loaded version {version.name!r}: {count} figures{default}.")


def _lines(exc: KeyFigureFileError) -> list[str]:
    lines = [f"{exc.errors and 'Refused, nothing loaded:'}"]
    lines += [f"  line {n}: {m}" if n else f"  {m}" for n, m in exc.errors]
    return lines
