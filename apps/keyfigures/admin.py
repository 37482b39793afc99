"""Admin: load a version from a file, browse versions and figures (read-only), pick the default."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from apps.keyfigures.figures import KeyFigureFileError
from apps.keyfigures.models import DynamicSource, JobCosting, KeyFigure, KeyFigureVersion
from apps.keyfigures.services import load_version, make_default


class UploadForm(forms.ModelForm):
    file = forms.FileField(help_text="CSV or JSON; format in apps/keyfigures/figures.py")
    make_default = forms.BooleanField(required=False, help_text="Cost new jobs with it")

    class Meta:
        model = KeyFigureVersion
        fields = ["name", "description"]

    def validate_unique(self) -> None:
        """load_version checks the name; by now it has loaded the version under it."""

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None and cleaned.get("name"):
            try:
                self.version = load_version(
                    upload.read(),
                    cleaned["name"],
                    filename=upload.name,
                    default=cleaned.get("make_default", False),
                    description=cleaned.get("description", ""),
                    user=getattr(self, "user", None),
                )
            except KeyFigureFileError as exc:
                raise forms.ValidationError(
                    [f"line {n}: {m}" if n else m for n, m in exc.errors[:50]]
                ) from exc
        return cleaned


class KeyFigureInline(admin.TabularInline):
    model = KeyFigure
    fields = ["key", "value", "unit", "source", "valid_from", "valid_to", "note", "line"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(KeyFigureVersion)
class KeyFigureVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "loaded_at", "loaded_by", "source_file"]
    actions = ["make_default_action"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = UploadForm
            form = super().get_form(request, obj, **kwargs)
            form.user = request.user
            return form
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["name", "description", "source_file", "loaded_at", "loaded_by", "is_default"]

    def get_inlines(self, request, obj):
        return [KeyFigureInline] if obj is not None else []

    def save_model(self, request, obj, form, change) -> None:
        if not change:  # the form's clean() loaded it, figures and all
            obj.pk = form.version.pk
            obj.refresh_from_db()

    @admin.action(description="Make the selected version the default")
    def make_default_action(self, request, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one version.", messages.ERROR)
            return
        version = queryset.get()
        make_default(version)
        self.message_user(request, f"{version.name} is now the default.")


@admin.register(JobCosting)
class JobCostingAdmin(admin.ModelAdmin):
    list_display = ["job", "version", "computed_at"]
    readonly_fields = ["job", "version", "dynamic_values", "assets", "warnings", "error"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(DynamicSource)
class DynamicSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "enabled", "last_value", "last_good_at", "failures"]
    readonly_fields = ["last_value", "last_good_at", "last_attempt_at", "last_error", "failures"]
