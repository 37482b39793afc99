from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from apps.models.views import render_model_page
from apps.profiles.forms import ProfileCsvForm
from apps.profiles.models import ProfileBinding
from apps.profiles.services import replace_binding_with_csv
from apps.sharing.access import require_edit, visible_to


@require_POST
def upload_binding_csv(request, pk: int):
    """Replace the profile bound to one profile reference of a model by an uploaded CSV; a
    refused file answers 400 with the model's page and the reason."""
    binding = get_object_or_404(
        visible_to(request.user, ProfileBinding).select_related("esdl_model"), pk=pk
    )
    require_edit(request.user, binding)
    form = ProfileCsvForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a CSV file.")
        return render_model_page(request, binding.esdl_model, status=400)
    try:
        replace_binding_with_csv(binding, request.user, form.cleaned_data["file"].read())
    except ValidationError as exc:
        messages.error(request, f"Profile not replaced: {' '.join(exc.messages)}")
        return render_model_page(request, binding.esdl_model, status=400)
    messages.success(request, f"Profile for {binding.asset_name} replaced.")
    return redirect(binding.esdl_model)
