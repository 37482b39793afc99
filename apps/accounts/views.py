"""The account page: e-mail, password, two-factor authentication and API tokens in one place."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
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
