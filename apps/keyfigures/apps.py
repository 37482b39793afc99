from django.apps import AppConfig


class KeyFiguresConfig(AppConfig):
    name = "apps.keyfigures"
    label = "keyfigures"
    verbose_name = "Key figures"
