from django.contrib import admin

from apps.profiles.models import InputProfile, ProfileBinding


@admin.register(InputProfile)
class InputProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "source", "start", "end", "points", "peak_w"]
    list_filter = ["source"]

    def has_delete_permission(self, request, obj=None) -> bool:
        """A profile goes with the last model that binds it, points and all (services)."""
        return False


@admin.register(ProfileBinding)
class ProfileBindingAdmin(admin.ModelAdmin):
    list_display = ["esdl_model", "asset_name", "asset_id", "original", "profile"]
