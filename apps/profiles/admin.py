from django.contrib import admin

from apps.profiles.models import InputProfile, ProfileBinding


@admin.register(InputProfile)
class InputProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "source", "start", "end", "points", "peak_w"]
    list_filter = ["source"]


@admin.register(ProfileBinding)
class ProfileBindingAdmin(admin.ModelAdmin):
    list_display = ["esdl_model", "asset_name", "original", "profile"]
