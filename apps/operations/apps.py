from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running the toolkit: request ids on log lines and jobs, Prometheus metrics."""

    name = "apps.operations"
    label = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from apps.operations import signals  # noqa: F401 - connects the receivers
