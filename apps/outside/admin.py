"""What came from outside and what jobs used: for looking up, not for editing. Deleting stays
allowed: these rows go with their job, binding, pipe or profile (the admin refuses to delete an
object whose related rows it may not delete)."""

from django.contrib import admin

from apps.outside.models import FetchedPipe, FetchedProfile, JobInput, StandIn


class RecordAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FetchedProfile)
class FetchedProfileAdmin(RecordAdmin):
    list_display = ["profile", "server", "database", "measurement", "field", "fetched_at"]
    list_filter = ["server"]


@admin.register(StandIn)
class StandInAdmin(RecordAdmin):
    list_display = ["binding", "reason", "tried_at"]


@admin.register(FetchedPipe)
class FetchedPipeAdmin(RecordAdmin):
    list_display = ["pipe", "url", "fetched_at", "checksum"]


@admin.register(JobInput)
class JobInputAdmin(RecordAdmin):
    list_display = ["job", "kind", "asset_name", "source", "fetched_at", "stand_in_reason"]
    list_filter = ["kind"]
