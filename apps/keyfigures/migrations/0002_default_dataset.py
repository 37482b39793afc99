"""Load the shipped dataset (data/keyfigures-2026.csv) as the default version, so a new
installation costs jobs from the start."""

from pathlib import Path

from django.db import migrations

from apps.keyfigures.figures import parse

DATASET = Path(__file__).resolve().parent.parent / "data" / "keyfigures-2026.csv"
NAME = "keyfigures-2026"


def load(apps, schema_editor):
    Version = apps.get_model("keyfigures", "KeyFigureVersion")
    Figure = apps.get_model("keyfigures", "KeyFigure")
    if Version.objects.filter(name=NAME).exists():
        return
    version = Version.objects.create(
        name=NAME,
        description="First dataset shipped with the Design Toolkit; sources per figure.",
        source_file=DATASET.name,
        is_default=not Version.objects.filter(is_default=True).exists(),
    )
    Figure.objects.bulk_create(
        Figure(
            version=version,
            key=f.key,
            value=f.value,
            unit=f.unit,
            source=f.source,
            valid_from=f.valid_from,
            valid_to=f.valid_to,
            note=f.note,
            line=f.line,
        )
        for f in parse(DATASET.read_text(encoding="utf-8"))
    )


def unload(apps, schema_editor):
    apps.get_model("keyfigures", "KeyFigureVersion").objects.filter(
        name=NAME, jobs__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("keyfigures", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
