from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "apps.profiles"
    label = "profiles"
    verbose_name = "Input profiles"

    def ready(self) -> None:
        from apps.profiles import signals  # noqa: F401 - connects the receivers
