"""The account page: e-mail, password, two-factor authentication and API tokens in one place."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.account.utils import get_next_redirect_url
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.forms import ApiTokenForm
from apps.accounts.models import ApiToken
from apps.accounts.services import create_api_token, revoke_api_token


def _render_account(
    request: HttpRequest, form: ApiTokenForm, new_key: str | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    authenticator_types = set(
        Authenticator.objects.filter(user=user).values_list("type", flat=True)
    )
    context = {
        "email_addresses": EmailAddress.objects.filter(user=user).order_by("-primary", "email"),
        "totp_active": Authenticator.Type.TOTP in authenticator_types,
        "recovery_codes_active": Authenticator.Type.RECOVERY_CODES in authenticator_types,
        "social_accounts": SocialAccount.objects.filter(user=user),
        "tokens": ApiToken.objects.filter(user=user).active(),
        "token_form": form,
        "new_key": new_key,
    }
    return render(request, "accounts/account.html", context, status=status)


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    return _render_account(request, ApiTokenForm())


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _render_account(request, form, status=400)
    _token, key = create_api_token(request.user, form.cleaned_data["name"], form.lifetime)
    # The key is rendered into this response only (no redirect, nothing in the session): it
    # cannot be shown again.
    return _render_account(request, ApiTokenForm(), new_key=key)


@login_required
@require_POST
def revoke_token(request: HttpRequest) -> HttpResponse:
    try:
        token = revoke_api_token(request.user, request.POST.get("digest", ""))
    except ApiToken.DoesNotExist:
        raise Http404("No such token.") from None
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:account")


def admin_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    """The admin's login page, replaced: staff log in through allauth like everyone else.

    Django's own admin login form checks a password and nothing more: no second factor, no rate
    limit, and it even signs an already logged-in user in as someone else. So it never sees a
    password here. Anonymous visitors go to allauth's login (MFA, ``login_failed`` limits) and
    come back through ``next``; a logged-in member of staff goes on; anyone else is refused.
    ``extra_context`` is the admin site's calling convention for its login view, unused.
    """
    next_url = get_next_redirect_url(request) or reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(next_url, settings.LOGIN_URL)
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied("The admin is for staff.")
    return redirect(next_url)
