from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from apps.comparison.services import MAX_JOBS, succeeded_jobs_by_model
from apps.models.models import Project
from apps.sharing.access import visible_to

#: Variations preselected when a user opens the page without a choice (newest job of each model).
DEFAULT_SELECTION = 10


def compare(request, pk: int):
    """Pick jobs of the project's models, then chart one series across them and their KPIs."""
    project = get_object_or_404(visible_to(request.user, Project), pk=pk)
    choices = succeeded_jobs_by_model(project, request.user)
    by_id = {str(job.pk): job for _, jobs in choices for job in jobs}
    requested = [i for i in request.GET.getlist("jobs") if i in by_id]
    if "jobs" in request.GET:
        selected = list(dict.fromkeys(requested))[:MAX_JOBS]
    else:
        selected = [str(jobs[0].pk) for _, jobs in choices][:DEFAULT_SELECTION]
    baseline = request.GET.get("baseline")
    if baseline not in selected:
        baseline = selected[0] if selected else None
    rows = []
    for esdl_model, jobs in choices:
        chosen = next((str(j.pk) for j in jobs if str(j.pk) in selected), "")
        rows.append({"model": esdl_model, "jobs": jobs, "chosen": chosen})
    selected_jobs = [by_id[i] for i in selected]
    config = {
        "jobs": [
            {"id": str(job.pk), "label": job.esdl_model.name, "model": job.esdl_model_id}
            for job in selected_jobs
        ],
        "baseline": baseline,
    }
    return render(
        request,
        "comparison/compare.html",
        {
            "project": project,
            "rows": rows,
            "selected_jobs": selected_jobs,
            "baseline": baseline,
            "config": config,
            "max_jobs": MAX_JOBS,
        },
    )
