from django.apps import AppConfig


class InfluxAccessConfig(AppConfig):
    name = "apps.influxaccess"
    label = "influxaccess"
    verbose_name = "InfluxDB read access"

    def ready(self) -> None:
        from apps.influxaccess import receivers

        receivers.connect()
