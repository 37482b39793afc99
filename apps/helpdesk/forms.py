from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from apps.helpdesk.attachments import checked
from apps.helpdesk.models import Ticket

BODY_MAX = 20_000


class AttachmentField(forms.FileField):
    """An optional attachment, checked for size and type (apps.helpdesk.attachments)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            required=False,
            help_text="Optional: PNG, JPEG, PDF, text, log, CSV, JSON or ESDL, at most a few MB.",
            **kwargs,
        )

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        return checked(upload) if upload else None


class TicketForm(forms.Form):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        label="What happened, and what did you expect?", widget=forms.Textarea, max_length=BODY_MAX
    )
    attachment = AttachmentField()
    team = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="only me",
        label="Also visible to my team",
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = user.groups.order_by("name")


class ReplyForm(forms.Form):
    body = forms.CharField(label="Reply", widget=forms.Textarea, max_length=BODY_MAX)
    attachment = AttachmentField()


class ManageForm(forms.Form):
    """Staff: the ticket's status and who handles it."""

    status = forms.ChoiceField(choices=Ticket.Status.choices)
    assignee = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_staff=True, is_active=True).order_by("email"),
        required=False,
        empty_label="nobody",
    )
