from django.contrib import admin

from apps.influxaccess.models import InfluxCredential
from apps.influxaccess.services import drop_influx_user


@admin.register(InfluxCredential)
class InfluxCredentialAdmin(admin.ModelAdmin):
    """Read-only list; deleting here drops the InfluxDB user too (its owner can make new ones)."""

    list_display = ("influx_username", "user", "created_at")
    search_fields = ("influx_username", "user__email")
    readonly_fields = ("user", "influx_username", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        drop_influx_user(obj.influx_username)
        super().delete_model(request, obj)
