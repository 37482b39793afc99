"""Production mode (``DT_ENV=production``, as compose.yaml sets it): the product refuses to start
with a development default or an example value for any password or secret, so a deployment
cannot go live with a password that is printed in this repository."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from omotes.influx import DEV_PASSWORD

#: Values anyone can read in this repository (defaults, README, .env.example).
KNOWN_VALUES = {"", DEV_PASSWORD, "guest", "postgres", "password", "demo-password-2026"}


def _weak(value: str) -> bool:
    return value in KNOWN_VALUES or value.lower().startswith("change-me")


def problems(settings: Mapping[str, Any]) -> list[str]:
    """What makes these settings unfit for production; empty when they are fit."""
    found = []
    if settings["DEBUG"]:
        found.append("DT_DEBUG must be off")
    if _weak(settings["SECRET_KEY"]) or "insecure" in settings["SECRET_KEY"]:
        found.append("DT_SECRET_KEY is a default or example value")
    if _weak(settings["DATABASES"]["default"]["PASSWORD"]):
        found.append("DT_DB_PASSWORD is empty or a default")
    if _weak(settings["INFLUX_PASSWORD"]):
        found.append("OMOTES_INFLUX_PASSWORD is the development password or an example value")
    if _weak(urlsplit(settings["BROKER_URL"]).password or ""):
        found.append("OMOTES_BROKER_URL has no password or a default one (guest)")
    if _weak(urlsplit(settings["REDIS_URL"]).password or ""):
        found.append("DT_REDIS_URL has no password or a default one")
    return found


def check(settings: Mapping[str, Any]) -> None:
    """Refuse to start (ImproperlyConfigured) when production settings hold a weak secret."""
    found = problems(settings)
    if found:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(found))
