from django.contrib import admin

from deft_site.jobs.models import Job, Worker


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "kind", "queue", "status", "attempts", "worker", "progress_done",
                    "progress_total", "created_at", "finished_at"]
    list_filter = ["status", "kind", "queue"]
    search_fields = ["title", "error", "worker"]
    readonly_fields = [f.name for f in Job._meta.fields if f.name != "cancel_requested"]


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ["name", "backend", "queues", "last_heartbeat", "stopped_at", "current_job"]
    readonly_fields = [f.name for f in Worker._meta.fields]
