"""Pages that make variations: mark a model as a variation, copy one with a change, upload one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from apps.models.models import EsdlModel
from apps.models.variations import (
    AttributeChange,
    copy_as_variation,
    mark_variation,
    upload_variation,
)
from apps.sharing.access import require_edit, visible_to


class MarkVariationForm(forms.Form):
    variation_of = forms.IntegerField(required=False)


class CopyVariationForm(forms.Form):
    name = forms.CharField(max_length=200)
    change = forms.CharField(required=False, max_length=500, help_text="asset id|attribute")
    value = forms.FloatField(required=False)

    def clean(self):
        data = super().clean()
        change, value = data.get("change"), data.get("value")
        if change and value is None:
            raise ValidationError("Give the new value of the attribute.")
        if change and "|" not in change:
            raise ValidationError("Choose an asset attribute to change.")
        return data


class UploadVariationForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    file = forms.FileField()


def _model(request, pk: int) -> EsdlModel:
    return get_object_or_404(visible_to(request.user, EsdlModel).select_related("project"), pk=pk)


def _form_errors(form: forms.Form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@require_POST
def mark(request, pk: int):
    """Set (or clear) which model of the same project this model is a variation of."""
    esdl_model = _model(request, pk)
    require_edit(request.user, esdl_model)
    form = MarkVariationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(esdl_model)
    base = None
    if form.cleaned_data["variation_of"]:
        base = (
            visible_to(request.user, EsdlModel)
            .filter(pk=form.cleaned_data["variation_of"], project=esdl_model.project)
            .defer("esdl")
            .first()
        )
        if base is None:
            messages.error(request, "Choose a model of the same project.")
            return redirect(esdl_model)
    try:
        mark_variation(esdl_model, base)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"{esdl_model.name} is a variation of {base.name}."
            if base
            else f"{esdl_model.name} is no longer marked as a variation.",
        )
    return redirect(esdl_model)


@require_POST
def copy(request, pk: int):
    """A copy of the model, optionally with one asset attribute changed, as its variation."""
    base = _model(request, pk)
    require_edit(request.user, base.project)
    form = CopyVariationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(base)
    changes = []
    if form.cleaned_data["change"]:
        asset_id, attribute = form.cleaned_data["change"].split("|", 1)
        changes.append(AttributeChange(asset_id, attribute, form.cleaned_data["value"]))
    try:
        variation = copy_as_variation(base, form.cleaned_data["name"], changes)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(base)
    messages.success(request, f"Created {variation.name}, a variation of {base.name}.")
    return redirect(variation)


@require_POST
def upload(request, pk: int):
    """An uploaded ESDL (an edited copy, say) stored as a variation of this model."""
    base = _model(request, pk)
    require_edit(request.user, base.project)
    form = UploadVariationForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(base)
    upload_file = form.cleaned_data["file"]
    name = form.cleaned_data["name"] or upload_file.name.rsplit(".", 1)[0]
    try:
        variation = upload_variation(base, name, upload_file.read())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(base)
    messages.success(request, f"Uploaded {variation.name}, a variation of {base.name}.")
    return redirect(variation)
