from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "apps.results"
    label = "results"

    def ready(self) -> None:
        from apps.results import signals  # noqa: F401 - connects the receivers
