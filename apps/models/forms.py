from __future__ import annotations

from django import forms
from django.conf import settings

from apps.models.models import Project


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class EsdlUploadForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, help_text="Defaults to the file name")
    file = forms.FileField(
        label="ESDL file", widget=forms.ClearableFileInput(attrs={"accept": ".esdl,.xml"})
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.ESDL_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than the limit of {settings.ESDL_MAX_BYTES // 2**20} MB."
            )
        return upload
