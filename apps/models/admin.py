from django.contrib import admin

from apps.models.models import EsdlModel, PipeType, Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "created_at"]
    search_fields = ["name", "owner__email"]


@admin.register(EsdlModel)
class EsdlModelAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "size_bytes", "profiles_status", "created_at"]
    search_fields = ["name", "project__name"]
    exclude = ["esdl"]
    readonly_fields = ["summary", "size_bytes"]


@admin.register(PipeType)
class PipeTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "dn", "series", "inner_diameter_m", "outer_diameter_m"]
    list_filter = ["series"]
    search_fields = ["name"]
