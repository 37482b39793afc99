"""Create the demo user with a demo project and an example model (idempotent)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from apps.accounts.services import create_user
from apps.models.models import Project
from apps.models.services import upload_esdl_model
from apps.sharing.models import Team
from apps.sharing.services import share
from apps.sharing.teams import create_team
from omotes.esdl_generator import network_text

COLLEAGUE = "colleague@example.com"
DEMO_TEAM = "Demo team"
#: The demo network: made by the project's generator, so no third-party model ships with it.
EXAMPLE_ASSETS = 20


class Command(BaseCommand):
    help = (
        "Create demo@example.com with a demo project holding an example heat network, shared "
        "with colleague@example.com through a team."
    )

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
            upload_esdl_model(project, "Example network", network_text(EXAMPLE_ASSETS).encode())
        colleague = self._colleague(user, password)
        self.stdout.write(
            f"demo user {email} / {password}, project {project.pk}; "
            f"{colleague.email} / {password} sees it through the team {DEMO_TEAM!r}"
        )

    def _colleague(self, user, password: str):
        """A second user who sees the demo project through a team, to show sharing."""
        colleague = get_user_model().objects.filter(username=COLLEAGUE).first()
        if colleague is None:
            colleague = create_user(COLLEAGUE, password)
        team = Team.objects.filter(name=DEMO_TEAM).first() or create_team(user, DEMO_TEAM)
        team.user_set.add(colleague)
        for project in Project.objects.filter(owner=user):
            share(project, team, "view")
        return colleague
