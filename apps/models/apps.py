from django.apps import AppConfig


class ModelsConfig(AppConfig):
    name = "apps.models"
    label = "models"
    verbose_name = "Projects and ESDL models"
