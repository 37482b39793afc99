from django.apps import AppConfig


class NetworkConfig(AppConfig):
    """The network map of a model and of a job's results (no tables of its own)."""

    name = "apps.network"
    label = "network"
