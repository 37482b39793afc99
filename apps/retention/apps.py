from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "apps.retention"
    label = "retention"
    verbose_name = "Retention of results"

    def ready(self) -> None:
        from apps.retention import signals  # noqa: F401 - connects the receivers
