"""The user's own InfluxDB read credentials: look, create (password shown once), delete."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from apps.influxaccess.services import CredentialsExist, create_credentials, delete_credentials
from omotes.influx import InfluxError


def access(request):
    return render(request, "influxaccess/access.html")


@never_cache
@require_POST
def create(request):
    try:
        username, password = create_credentials(request.user)
    except CredentialsExist as exc:
        messages.error(request, str(exc))
        return _back(request)
    except InfluxError:
        messages.error(request, "InfluxDB could not create your credentials; try again later.")
        return _back(request)
    # Rendered, not redirected: the password must not travel through a session or a message.
    return render(
        request,
        "influxaccess/access.html",
        {"influx_new_username": username, "influx_new_password": password},
    )


@require_POST
def delete(request):
    try:
        deleted = delete_credentials(request.user)
    except InfluxError:
        messages.error(request, "InfluxDB could not delete your credentials; try again later.")
        return _back(request)
    if deleted:
        messages.success(request, "Your InfluxDB credentials are deleted.")
    return _back(request)


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("influxaccess:access")
