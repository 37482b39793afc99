from django.contrib import admin

from apps.outside.models import FetchedPipe, FetchedProfile, JobInput, StandIn


@admin.register(FetchedProfile)
class FetchedProfileAdmin(admin.ModelAdmin):
    list_display = ["profile", "server", "database", "measurement", "field", "fetched_at"]
    list_filter = ["server"]


@admin.register(StandIn)
class StandInAdmin(admin.ModelAdmin):
    list_display = ["binding", "reason", "tried_at"]


@admin.register(FetchedPipe)
class FetchedPipeAdmin(admin.ModelAdmin):
    list_display = ["pipe", "url", "fetched_at", "checksum"]


@admin.register(JobInput)
class JobInputAdmin(admin.ModelAdmin):
    list_display = ["job", "kind", "asset_name", "source", "fetched_at", "stand_in_reason"]
    list_filter = ["kind"]
