from __future__ import annotations

from datetime import timedelta

from django import forms

LIFETIMES = {
    "": None,
    "7": timedelta(days=7),
    "30": timedelta(days=30),
    "90": timedelta(days=90),
    "365": timedelta(days=365),
}


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What the token is for, e.g. “laptop scripts”."
    )
    expires_in = forms.ChoiceField(
        label="Expires",
        required=False,
        choices=[
            ("", "never"),
            ("7", "in 7 days"),
            ("30", "in 30 days"),
            ("90", "in 90 days"),
            ("365", "in a year"),
        ],
    )

    @property
    def lifetime(self) -> timedelta | None:
        return LIFETIMES[self.cleaned_data["expires_in"]]
