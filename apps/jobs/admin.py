from django.contrib import admin

from apps.jobs.models import Job, JobEvent, Worker


class JobEventInline(admin.TabularInline):
    model = JobEvent
    extra = 0
    readonly_fields = ["at", "kind", "worker_id", "detail"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "workflow", "owner", "status", "progress", "attempts", "created_at"]
    list_filter = ["status", "workflow"]
    search_fields = ["id", "owner__email"]
    exclude = ["esdl", "output_esdl"]
    readonly_fields = ["series", "messages"]
    inlines = [JobEventInline]


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ["worker_id", "host", "slots", "last_seen", "left_at"]
