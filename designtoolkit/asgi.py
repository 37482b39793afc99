"""ASGI entry point: HTTP through Django, websockets through Channels (session auth).

HTTP requests pass the request limits first (413 for a body larger than any upload the product
takes, 414 for an overlong URL), so Django never reads such a request; then at most
``WEB_REQUEST_SLOTS`` of them are in Django at once per process (``designtoolkit.request_slots``),
each in one thread hop (``designtoolkit.asgi_handler``).
"""

from __future__ import annotations

import os

import django
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designtoolkit.settings")
django.setup(set_prefix=False)

from designtoolkit.asgi_handler import SyncChainASGIHandler  # noqa: E402

django_asgi_app = SyncChainASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from apps.jobs.consumers import JobProgressConsumer  # noqa: E402
from apps.notifications.consumers import BellConsumer  # noqa: E402
from designtoolkit import urls  # noqa: E402, F401 - every view imported before the heap settles
from designtoolkit.request_limits import RequestLimits  # noqa: E402
from designtoolkit.request_slots import RequestSlots  # noqa: E402
from omotes import heap  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": RequestLimits(
            RequestSlots(django_asgi_app, slots=settings.WEB_REQUEST_SLOTS),
            max_body_bytes=settings.REQUEST_BODY_MAX_BYTES,
            max_url_bytes=settings.URL_MAX_BYTES,
        ),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(
                URLRouter(
                    [
                        path("ws/jobs/<uuid:job_id>/", JobProgressConsumer.as_asgi()),
                        path("ws/notifications/", BellConsumer.as_asgi()),
                    ]
                )
            )
        ),
    }
)

heap.settle()
