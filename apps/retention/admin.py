from django.contrib import admin

from apps.retention.models import Deactivation, RetentionPolicy


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "interval_minutes", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return not RetentionPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Deactivation)
class DeactivationAdmin(admin.ModelAdmin):
    list_display = ["user", "seen_at"]
    readonly_fields = ["user", "seen_at"]

    def has_add_permission(self, request) -> bool:
        return False
