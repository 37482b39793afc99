"""The frontend's InfluxDB client (see :mod:`omotes.influx` for why it speaks the v1 API)."""

from __future__ import annotations

import functools

from django.conf import settings

from omotes.influx import InfluxClient, InfluxSettings


@functools.cache
def influx_client() -> InfluxClient:
    """One client per process; credentials come from OMOTES_INFLUX_USERNAME/PASSWORD."""
    env = InfluxSettings.from_env()
    return InfluxClient(
        InfluxSettings(
            url=settings.INFLUX_URL, username=env.username, password=env.password, timeout_s=60
        )
    )
