from __future__ import annotations

from django import forms


class ProfileCsvForm(forms.Form):
    file = forms.FileField(
        label="CSV (timestamp,value_w)", widget=forms.ClearableFileInput(attrs={"accept": ".csv"})
    )
