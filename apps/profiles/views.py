from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from apps.profiles.forms import ProfileCsvForm
from apps.profiles.models import ProfileBinding
from apps.profiles.services import replace_binding_with_csv
from apps.sharing.access import require_edit, visible_to


@require_POST
def upload_binding_csv(request, pk: int):
    """Replace the profile bound to one profile reference of a model by an uploaded CSV."""
    binding = get_object_or_404(
        visible_to(request.user, ProfileBinding).select_related("esdl_model"), pk=pk
    )
    require_edit(request.user, binding)
    form = ProfileCsvForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            replace_binding_with_csv(binding, request.user, form.cleaned_data["file"].read())
        except ValidationError as exc:
            messages.error(request, f"Profile not replaced: {' '.join(exc.messages)}")
        else:
            messages.success(request, f"Profile for {binding.asset_name} replaced.")
    else:
        messages.error(request, "Choose a CSV file.")
    return redirect(binding.esdl_model)
