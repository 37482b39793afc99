"""Per-user InfluxDB read credentials (R22).

The password is shown once when the credentials are made and never stored here: InfluxDB keeps
its own hash, and a lost password is replaced by deleting and creating the credentials again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class InfluxCredential(models.Model):
    """The InfluxDB user of one person; its READ grants follow the jobs that person may see."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="influx_credential"
    )
    influx_username = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "InfluxDB credential"

    def __str__(self) -> str:
        return f"{self.influx_username} ({self.user})"
