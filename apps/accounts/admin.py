from django.contrib import admin

from apps.accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Operators see and revoke (delete) tokens; users create them on their account page."""

    list_display = ("name", "user", "token_key", "created", "expiry")
    search_fields = ("name", "token_key", "user__email")
    readonly_fields = ("name", "user", "token_key", "created", "expiry")
    exclude = ("digest",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
