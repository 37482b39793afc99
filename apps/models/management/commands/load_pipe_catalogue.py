"""Load (or update) the pipe catalogue used for ESDL pipes that name only a size."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.models.models import PipeType
from apps.models.pipe_catalogue import DEFAULT_CATALOGUE_PATH, load_catalogue_file


class Command(BaseCommand):
    help = "Load pipe types from a catalogue file (our compact format or the EDR's edr_pipes.json)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", default=str(DEFAULT_CATALOGUE_PATH))

    def handle(self, *args, path: str, **options) -> None:
        specs = load_catalogue_file(path)
        with transaction.atomic():
            for spec in specs:
                PipeType.objects.update_or_create(
                    name=spec.name, defaults=PipeType.fields_from(spec)
                )
        self.stdout.write(f"{len(specs)} pipe types loaded from {path}")
