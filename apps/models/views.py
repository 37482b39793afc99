from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from apps.jobs.job_table import job_table_rows
from apps.jobs.preflight import workflow_readiness
from apps.jobs.run_form import RunForm, build_run_form, rerun_job
from apps.jobs.workflows import known_workflows
from apps.models.forms import EsdlUploadForm, ProjectForm
from apps.models.models import EsdlModel, Project
from apps.models.services import upload_esdl_model
from apps.profiles.forms import ProfileCsvForm
from apps.sharing.access import open_for_support, require_edit, visible_to
from designtoolkit.pagination import page_of


def project_list(request):
    projects = (
        visible_to(request.user, Project)
        .select_related("owner")
        .annotate(model_count=Count("esdl_models"))
        .order_by("-created_at", "pk")  # GROUP BY drops the default order
    )
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        project = form.save(commit=False)
        project.owner = request.user
        project.save()
        return redirect(project)
    page = page_of(request, projects)
    return render(
        request,
        "models/project_list.html",
        {"projects": page.object_list, "page": page, "form": form},
    )


def project_detail(request, pk: int):
    project = get_object_or_404(visible_to(request.user, Project), pk=pk)
    form = EsdlUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        require_edit(request.user, project)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            name = form.cleaned_data["name"] or upload.name.rsplit(".", 1)[0]
            try:
                esdl_model = upload_esdl_model(project, name, upload.read())
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                messages.success(request, f"Uploaded {esdl_model.name}.")
                return redirect(esdl_model)
        status = 400
    page = page_of(request, project.esdl_models.defer("esdl"))
    return render(
        request,
        "models/project_detail.html",
        {"project": project, "models": page.object_list, "page": page, "form": form},
        status=status,
    )


def model_detail(request, pk: int):
    # The ESDL text (up to the upload limit) is read only where the page needs it parsed.
    esdl_models = EsdlModel.objects.select_related("project").defer("esdl")
    # Staff answering a ticket about this model may open it with ?ticket=<its number> (recorded).
    esdl_model = visible_to(request.user, esdl_models).filter(pk=pk).first() or open_for_support(
        request.user, esdl_models, pk, request.GET.get("ticket")
    )
    if esdl_model is None:
        raise Http404("No such model.")
    rerun = None
    if request.GET.get("rerun"):  # "Run again" on a job page: the form starts from its values
        rerun = rerun_job(request.user, esdl_model, request.GET["rerun"])
    known = known_workflows()
    return render_model_page(
        request,
        esdl_model,
        run_form=build_run_form(esdl_model, rerun=rerun, known=known),
        known=known,
    )


def render_model_page(
    request,
    esdl_model: EsdlModel,
    status: int = 200,
    run_form: RunForm | None = None,
    known: list | None = None,
) -> HttpResponse:
    """The model's page, for a user who may see it; also the answer to a refused form on it
    (``run_form``: the run form as it comes back from a refused submit). ``known``: the known
    workflows (:func:`~apps.jobs.workflows.known_workflows`) if the caller has them."""
    known = known_workflows() if known is None else known
    page = page_of(request, esdl_model.jobs.as_table_rows())
    readiness = workflow_readiness(esdl_model, [described for described, _ in known])
    return render(
        request,
        "models/model_detail.html",
        {
            "model": esdl_model,
            "summary": esdl_model.summary,
            "bindings": esdl_model.profile_bindings.select_related(
                "profile", "profile__fetched", "stand_in"
            ),
            "stand_ins": esdl_model.profile_bindings.filter(stand_in__isnull=False).count(),
            "readiness": readiness,
            "run_form": run_form or build_run_form(esdl_model, known=known),
            "job_rows": job_table_rows(page.object_list, request.user),
            "page": page,
            "csv_form": ProfileCsvForm(),
        },
        status=status,
    )
