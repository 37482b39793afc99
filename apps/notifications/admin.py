from django.contrib import admin

from apps.notifications.models import OutgoingMail, Preference


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """The outbox, for staff answering "I never got the mail": what was sent, what waits, why."""

    list_display = ("subject", "to", "created_at", "sent_at", "attempts", "given_up_at")
    list_filter = ("sent_at", "given_up_at")
    search_fields = ("to", "subject")
    readonly_fields = [f.name for f in OutgoingMail._meta.fields]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "email_on_job_end")
    search_fields = ("user__email",)
