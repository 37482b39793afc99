from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.dashboard.services import active_jobs, recent_results, shared_with_me
from apps.models.models import Project


@require_GET
def home(request):
    """The dashboard: the user's jobs in progress (live), recent results, what was shared."""
    return render(
        request,
        "dashboard/home.html",
        {
            "active": active_jobs(request.user),
            "recent": recent_results(request.user),
            "shared": shared_with_me(request.user),
            "has_projects": Project.objects.filter(owner=request.user).exists(),
        },
    )
