"""The notifications page behind the bell, and the e-mail default on the account page."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from apps.notifications.models import Notification
from apps.notifications.services import mark_read, set_email_on_job_end
from designtoolkit.pagination import page_of


@require_GET
def notification_list(request):
    page = page_of(request, Notification.objects.filter(user=request.user))
    return render(request, "notifications/list.html", {"notes": page.object_list, "page": page})


@require_GET
def open_notification(request, pk: int):
    """Mark a notification read and go where it points (a path in this web app only)."""
    note = get_object_or_404(Notification, pk=pk, user=request.user)
    mark_read(request.user, note.pk)
    safe = note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts=None)
    return redirect(note.url if safe else "notifications:list")


@require_POST
def read_all(request):
    mark_read(request.user)
    return redirect("notifications:list")


@require_POST
def preferences(request):
    on = request.POST.get("email_on_job_end") == "on"
    set_email_on_job_end(request.user, on)
    messages.success(
        request,
        f"New jobs {'will' if on else 'will not'} e-mail you when they end, unless you "
        "choose otherwise when you submit one.",
    )
    return redirect("accounts:account")
