from django.apps import AppConfig


class OutsideConfig(AppConfig):
    name = "apps.outside"
    label = "outside"
    verbose_name = "Outside data"
