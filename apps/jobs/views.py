from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.jobs.asset_messages import messages_with_assets
from apps.jobs.filters import JobFilter
from apps.jobs.job_table import job_table_rows
from apps.jobs.live import job_state
from apps.jobs.models import Job, JobRecord
from apps.jobs.run_form import build_run_form, posted_params
from apps.jobs.services import cancel_job, delete_job, rename_job, submit_job
from apps.models.models import EsdlModel
from apps.models.variations import save_job_output_as_variation
from apps.models.views import render_model_page
from apps.sharing.access import open_for_support, require_edit, require_owner, visible_to
from designtoolkit.pagination import page_of
from omotes.workflows.optimizer_check import OPTIMIZER_WORKFLOWS


@require_POST
def submit(request, model_pk: int):
    esdl_model = get_object_or_404(visible_to(request.user, EsdlModel), pk=model_pk)
    require_edit(request.user, esdl_model)
    workflow = request.POST.get("workflow", "")
    posted = posted_params(request.POST, workflow)
    params = {key: value for key, value in posted.items() if value != ""}
    try:
        notify_email = {"yes": True, "no": False}.get(request.POST.get("notify_email", ""))
        job = submit_job(request.user, esdl_model, workflow, params, notify_email)
    except ValidationError as exc:
        # The form comes back with the user's values and each error next to its field.
        messages.error(request, "Job not submitted: " + " ".join(exc.messages))
        form = build_run_form(esdl_model, workflow=workflow, posted=posted, error=exc)
        return render_model_page(request, esdl_model, status=400, run_form=form)
    return redirect(job)


def job_list(request):
    """The jobs the user may see, filtered (project, model, workflow, state, owner), in pages."""
    chosen = JobFilter.from_query(request.GET)
    visible = visible_to(request.user, Job)
    page = page_of(request, chosen.apply(visible, request.user).as_table_rows())
    models = list(
        EsdlModel.objects.filter(pk__in=visible.values("esdl_model_id")).select_related("project")
    )
    return render(
        request,
        "jobs/job_list.html",
        {
            "job_rows": job_table_rows(page.object_list, request.user, show_model=True),
            "page": page,
            "filters": chosen.values,
            "filter_query": chosen.query_string(),
            "statuses": Job.Status.values,
            "workflows": sorted(set(visible.values_list("workflow", flat=True).order_by())),
            "models": models,
            "projects": sorted({m.project for m in models}, key=lambda p: p.name),
        },
    )


def job_detail(request, pk):
    jobs = Job.objects.select_related("esdl_model__project", "owner").defer(
        "esdl", "output_esdl", "esdl_model__esdl"
    )
    # Staff answering a ticket about this job may open it with ?ticket=<its number> (recorded).
    job = visible_to(request.user, jobs).filter(pk=pk).first() or open_for_support(
        request.user, jobs, pk, request.GET.get("ticket")
    )
    if job is None:
        raise Http404("No such job.")
    record = JobRecord.objects.filter(job=job).first()
    events = list(job.events.order_by("at", "pk"))
    return render(
        request,
        "jobs/job_detail.html",
        {
            "job": job,
            "state": job_state(job, record, events),
            "events": events,
            "optimised": job.workflow in OPTIMIZER_WORKFLOWS and job.status == "succeeded",
            "job_messages": messages_with_assets(job),
            "params_used": [
                (key, value, (record.param_sources if record else {}).get(key, ""))
                for key, value in job.params.items()
            ],
        },
    )


def output_esdl(request, pk):
    """Download the ESDL a succeeded job produced; its output profiles point at the job's data."""
    job = get_object_or_404(visible_to(request.user, Job).only("id", "output_esdl"), pk=pk)
    if not job.output_esdl:
        raise Http404("This job has no output ESDL.")
    response = HttpResponse(job.output_esdl, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="job-{job.id}.esdl"'
    return response


@require_POST
def cancel(request, pk):
    job = get_object_or_404(visible_to(request.user, Job).defer("esdl", "output_esdl"), pk=pk)
    require_edit(request.user, job)
    if cancel_job(job, by=request.user):
        messages.success(request, "Job cancelled.")
    else:
        messages.error(request, f"The job has already ended ({job.status}).")
    return redirect("jobs:detail", pk=job.pk)


@require_POST
def rename(request, pk):
    """Rename a job from its page: those who may edit its model may (as they may cancel it)."""
    job = get_object_or_404(visible_to(request.user, Job).select_related("esdl_model"), pk=pk)
    require_edit(request.user, job)
    try:
        rename_job(job, request.POST.get("name", ""))
    except ValidationError as exc:
        messages.error(request, "Not renamed: " + " ".join(exc.messages))
        return redirect(job)
    messages.success(request, f"Renamed to {job.display_name}.")
    return redirect(job)


@require_POST
def delete(request, pk):
    job = get_object_or_404(visible_to(request.user, Job).select_related("esdl_model"), pk=pk)
    require_owner(request.user, job)
    delete_job(job, by=request.user)
    messages.success(request, "The job's results were deleted; its history stays.")
    return redirect(job)


@require_POST
def save_variation(request, pk):
    """Save a job's output ESDL (an optimised network) as a variation of the job's model."""
    job = get_object_or_404(
        visible_to(request.user, Job).select_related("esdl_model__project"), pk=pk
    )
    require_edit(request.user, job.esdl_model)
    name = (request.POST.get("name") or "").strip()[:200] or f"{job.esdl_model.name} (optimised)"
    try:
        variation = save_job_output_as_variation(job, name)
    except ValidationError as exc:
        messages.error(request, "Not saved: " + " ".join(exc.messages))
        return redirect(job)
    messages.success(request, f"Saved as {variation.name}, a variation of {job.esdl_model.name}.")
    return redirect(variation)
