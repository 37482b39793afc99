"""Sharing from the pages of projects, models and jobs (the panel in ``sharing/_panel.html``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.jobs.models import Job
from apps.models.models import EsdlModel, Project
from apps.sharing.access import require_owner, visible_to
from apps.sharing.models import Team
from apps.sharing.services import find_grantee, revoke, share
from apps.sharing.teams import (
    add_member,
    create_team,
    delete_team,
    remove_member,
    require_manager,
    teams_of,
)
from designtoolkit.pagination import page_of

SHARED_KINDS = {"project": Project, "model": EsdlModel, "job": Job}


def _visible_object(request, kind: str, pk: str):
    model = SHARED_KINDS.get(kind)
    if model is None:
        raise Http404("Nothing of that kind is shared.")
    return get_object_or_404(visible_to(request.user, model), pk=pk)


def _refused(request, obj, exc: ValidationError):
    return render(
        request, "sharing/refused.html", {"object": obj, "reasons": exc.messages}, status=400
    )


def _named_grantee(request, to_share: bool = True):
    """The user (e-mail) or team the panel's form names in ``name``, by ``grantee_kind``."""
    name = request.POST.get("name", "").strip()
    by_team = request.POST.get("grantee_kind") == "team"
    return name, find_grantee(
        user="" if by_team else name, team=name if by_team else "", to_share=to_share
    )


@require_POST
def share_object(request, kind: str, pk: str):
    obj = _visible_object(request, kind, pk)
    require_owner(request.user, obj)
    try:
        name, grantee = _named_grantee(request)
        share(obj, grantee, request.POST.get("level", "view"))
    except ValidationError as exc:
        return _refused(request, obj, exc)
    messages.success(request, f"Shared with {name}.")
    return redirect(obj)


@require_POST
def revoke_object(request, kind: str, pk: str):
    obj = _visible_object(request, kind, pk)
    require_owner(request.user, obj)
    try:
        name, grantee = _named_grantee(request, to_share=False)
    except ValidationError as exc:
        return _refused(request, obj, exc)
    if revoke(obj, grantee):
        messages.success(request, f"{name} no longer has access.")
    return redirect(obj)


def _team_page(request) -> dict:
    # Counted apart from the membership filter, whose join would count the user alone.
    teams = Team.objects.filter(pk__in=teams_of(request.user).values("pk")).order_by("name")
    page = page_of(request, teams.annotate(member_count=Count("user")))
    return {"teams": page.object_list, "page": page}


def team_list(request):
    """The teams the user is in; anyone may start a team (and manages it)."""
    if request.method == "POST":
        try:
            team = create_team(request.user, request.POST.get("name", ""))
        except ValidationError as exc:
            return render(
                request,
                "sharing/team_list.html",
                {**_team_page(request), "errors": exc.messages},
                status=400,
            )
        messages.success(request, f"Team {team.name} created.")
        return redirect(team)
    return render(request, "sharing/team_list.html", _team_page(request))


def team_detail(request, pk: int):
    team = get_object_or_404(teams_of(request.user), pk=pk)
    errors: list[str] = []
    if request.method == "POST":
        require_manager(request.user, team)
        try:
            if "remove" in request.POST:
                remove_member(team, get_object_or_404(team.user_set, pk=request.POST["remove"]))
            else:
                add_member(
                    team, request.POST.get("email", ""), manager=request.POST.get("manager") == "on"
                )
        except ValidationError as exc:
            errors = exc.messages
        else:
            return redirect(team)
    manager_ids = set(team.managers.values_list("user_id", flat=True))
    members = [(member, member.pk in manager_ids) for member in team.user_set.order_by("email")]
    return render(
        request,
        "sharing/team_detail.html",
        {
            "team": team,
            "members": members,
            "manages": request.user.pk in manager_ids,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


def team_delete(request, pk: int):
    """Asks first (GET), deletes on POST; managers only, members see 403 and others 404."""
    team = get_object_or_404(teams_of(request.user), pk=pk)
    require_manager(request.user, team)
    if request.method == "POST":
        delete_team(team)
        messages.success(request, f"Team {team.name} deleted.")
        return redirect("sharing:teams")
    return render(
        request,
        "sharing/team_delete.html",
        {"team": team, "member_count": team.user_set.count()},
    )
