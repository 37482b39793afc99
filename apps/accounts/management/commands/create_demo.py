"""Create the demo user with a demo project and an example model (idempotent)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from apps.accounts.services import create_user
from apps.models.models import Project
from apps.models.services import upload_esdl_model

EXAMPLE_MODEL = Path(__file__).resolve().parents[3] / "models" / "data" / "examples" / "test1.esdl"


class Command(BaseCommand):
    help = "Create demo@example.com with a demo project holding an example heat network."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", default="demo@example.com")
        parser.add_argument("--password", default="demo-password-2026")

    def handle(self, *args, email: str, password: str, **options) -> None:
        user = get_user_model().objects.filter(username=email).first()
        if user is None:
            user = create_user(email, password, is_staff=True)
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        project, created = Project.objects.get_or_create(
            owner=user,
            name="Demo heat network",
            defaults={"description": "A small district-heating network to try the simulator on."},
        )
        if created or not project.esdl_models.exists():
            upload_esdl_model(project, "Example network", EXAMPLE_MODEL.read_bytes())
        self.stdout.write(f"demo user {email} / {password}, project {project.pk}")
