"""Tickets: raise one from any page (or from a job or model page, linked), follow the
conversation; staff work the queue on the same pages (status, assignee, answer)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.helpdesk.forms import ManageForm, ReplyForm, TicketForm
from apps.helpdesk.models import Attachment, Ticket
from apps.helpdesk.services import job_context, manage, model_context, raise_ticket, reply
from apps.jobs.models import Job
from apps.models.models import EsdlModel
from apps.sharing.access import visible_to
from apps.sharing.services import grants_of, revoke, share
from designtoolkit.pagination import page_of


@require_GET
def ticket_list(request):
    """The user's tickets (and their teams'); for staff, the queue, by status."""
    tickets = visible_to(request.user, Ticket).select_related("author", "assignee", "job")
    status = request.GET.get("status", "open" if request.user.is_staff else "")
    if status in Ticket.Status.values:
        tickets = tickets.filter(status=status)
    elif request.user.is_staff:
        status = ""
    page = page_of(request, tickets)
    return render(
        request,
        "helpdesk/ticket_list.html",
        {
            "tickets": page.object_list,
            "page": page,
            "query": urlencode({"status": status}),
            "status": status,
            "statuses": Ticket.Status.choices,
        },
    )


def _linked(request, source) -> tuple[Job | None, EsdlModel | None]:
    """The job or model (``job`` / ``model`` in the query string) the ticket is about: 404 for
    one the user may not see, as everywhere."""
    job_id, model_id = source.get("job", ""), source.get("model", "")
    job = esdl_model = None
    try:
        if job_id:
            job = visible_to(request.user, Job).select_related("esdl_model__project").get(pk=job_id)
        elif model_id:
            esdl_model = (
                visible_to(request.user, EsdlModel).select_related("project").get(pk=model_id)
            )
    except (ObjectDoesNotExist, ValidationError, ValueError):  # gone, hidden or malformed
        raise Http404("Nothing to link the ticket to.") from None
    return job, esdl_model


@require_http_methods(["GET", "POST"])
def new_ticket(request):
    job, esdl_model = _linked(request, request.GET)
    page = request.GET.get("page", "")
    if not url_has_allowed_host_and_scheme(page, allowed_hosts=None):
        page = ""
    if job:
        subject = f"Job {job.workflow} on {job.esdl_model.name} {job.status}"
        context = job_context(job)
    elif esdl_model:
        subject = f"Model {esdl_model.name}"
        context = model_context(esdl_model)
    else:
        subject, context = "", {}
    form = TicketForm(user=request.user, initial={"subject": subject})
    status = 200
    if request.method == "POST":
        form = TicketForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            ticket = raise_ticket(
                request.user,
                data["subject"],
                data["body"],
                job=job,
                esdl_model=esdl_model,
                page=page,
                attachment=data["attachment"],
                team=data["team"],
            )
            return redirect(ticket)
        status = 400
    return render(
        request,
        "helpdesk/ticket_new.html",
        {"form": form, "job": job, "esdl_model": esdl_model, "context": context, "page": page},
        status=status,
    )


def _ticket(request, pk: int) -> Ticket:
    return get_object_or_404(
        visible_to(request.user, Ticket).select_related("author", "assignee", "job", "esdl_model"),
        pk=pk,
    )


def _render_ticket(request, ticket: Ticket, reply_form=None, manage_form=None, status=200):
    is_staff = request.user.is_staff
    return render(
        request,
        "helpdesk/ticket_detail.html",
        {
            "ticket": ticket,
            "conversation": ticket.messages.select_related("author").prefetch_related(
                "attachments"
            ),
            "may_reply": is_staff or ticket.author_id == request.user.pk,
            "is_staff": is_staff,
            "reply_form": reply_form or ReplyForm(),
            "manage_form": manage_form
            or ManageForm(initial={"status": ticket.status, "assignee": ticket.assignee_id}),
            "accesses": ticket.support_accesses.select_related("staff")[:50],
            "is_author": ticket.author_id == request.user.pk,
            "teams_shared": [g.name for g in grants_of(ticket) if g.kind == "team"],
            "my_teams": request.user.groups.order_by("name"),
        },
        status=status,
    )


@require_GET
def ticket_detail(request, pk: int):
    return _render_ticket(request, _ticket(request, pk))


@require_POST
def ticket_reply(request, pk: int):
    ticket = _ticket(request, pk)
    if not (request.user.is_staff or ticket.author_id == request.user.pk):
        raise PermissionDenied("Only the ticket's author and support staff reply.")
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_ticket(request, ticket, reply_form=form, status=400)
    reply(ticket, request.user, form.cleaned_data["body"], form.cleaned_data["attachment"])
    return redirect(ticket)


@require_POST
def ticket_manage(request, pk: int):
    ticket = _ticket(request, pk)
    if not request.user.is_staff:
        raise PermissionDenied("Only support staff change a ticket's status.")
    form = ManageForm(request.POST)
    if not form.is_valid():
        return _render_ticket(request, ticket, manage_form=form, status=400)
    manage(ticket, request.user, form.cleaned_data["status"], form.cleaned_data["assignee"])
    return redirect(ticket)


@require_GET
def attachment(request, pk: int):
    """An attachment, as a download only (never shown in the page), to who may see its ticket."""
    found = get_object_or_404(
        Attachment.objects.filter(message__ticket__in=visible_to(request.user, Ticket)), pk=pk
    )
    response = HttpResponse(bytes(found.data), content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.pk}-{_safe(found.name)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:100]


@require_POST
def ticket_team(request, pk: int):
    """The author makes the ticket visible to one of their teams, or stops doing so."""
    ticket = _ticket(request, pk)
    if ticket.author_id != request.user.pk:
        raise PermissionDenied("Only the ticket's author chooses who else sees it.")
    team = request.user.groups.filter(pk=request.POST.get("team") or None).first()
    if team is None:
        return _render_ticket(request, ticket, status=400)
    if request.POST.get("action") == "stop":
        revoke(ticket, team)
    else:
        share(ticket, team, "view")
    return redirect(ticket)
