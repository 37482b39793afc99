"""The frontend's Dramatiq broker, made once per process on first use."""

from __future__ import annotations

import functools

from django.conf import settings
from dramatiq.brokers.rabbitmq import RabbitmqBroker

from omotes.broker import make_broker


@functools.cache
def get_broker() -> RabbitmqBroker:
    return make_broker(settings.BROKER_URL)
