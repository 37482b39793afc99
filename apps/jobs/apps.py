from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "apps.jobs"
    label = "jobs"

    def ready(self) -> None:
        from apps.jobs.live import recheck_open_job_pages
        from apps.sharing.signals import access_changed

        access_changed.connect(recheck_open_job_pages, dispatch_uid="jobs.recheck_open_job_pages")
