from django.contrib import admin

from apps.helpdesk.models import SupportAccess, Ticket


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """For reports and clean-up; staff answer tickets on the helpdesk pages (/helpdesk/)."""

    list_display = ("pk", "subject", "author", "status", "assignee", "updated_at")
    list_filter = ("status",)
    search_fields = ("subject", "author__email")
    readonly_fields = ("author", "job", "esdl_model", "context", "page", "created_at")


@admin.register(SupportAccess)
class SupportAccessAdmin(admin.ModelAdmin):
    """The access log: which member of staff opened which user's job or model, for which ticket."""

    list_display = ("at", "staff", "kind", "object_id", "ticket")
    readonly_fields = ("at", "staff", "kind", "object_id", "ticket")
