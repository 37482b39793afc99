"""The frontend's InfluxDB client (see :mod:`omotes.influx` for why it speaks the v1 API)."""

from __future__ import annotations

import functools

from django.conf import settings

from omotes.influx import InfluxClient, InfluxSettings


@functools.cache
def influx_client() -> InfluxClient:
    """One client per process, logged in as the product's account (settings.INFLUX_USERNAME)."""
    return InfluxClient(
        InfluxSettings(
            url=settings.INFLUX_URL,
            username=settings.INFLUX_USERNAME,
            password=settings.INFLUX_PASSWORD,
            timeout_s=60,
        )
    )
