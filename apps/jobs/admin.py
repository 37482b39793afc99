from django.contrib import admin

from apps.jobs.models import Job, JobEvent, QueuePolicy, UserPriority, Worker, WorkflowSetting


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


@admin.register(QueuePolicy)
class QueuePolicyAdmin(admin.ModelAdmin):
    list_display = ["strategy", "max_running_per_user", "usage_window_minutes"]

    def has_add_permission(self, request) -> bool:
        return not QueuePolicy.objects.exists()


@admin.register(UserPriority)
class UserPriorityAdmin(admin.ModelAdmin):
    list_display = ["user", "level"]
    raw_id_fields = ["user"]


@admin.register(WorkflowSetting)
class WorkflowSettingAdmin(admin.ModelAdmin):
    list_display = ["workflow", "time_limit_s", "no_worker_timeout_s"]
