"""Every request gets an id, bound to its log lines and answered in ``X-Request-ID``.

A caller (a reverse proxy, a script) may send its own ``X-Request-ID`` to tie our lines to its
own; anything that is not a short plain token is replaced by a new id, so a header cannot
inject text into the logs. A job submitted by the request keeps the id (``JobOrigin``).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from omotes import logs

logger = logging.getLogger("designtoolkit.requests")

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,100}")


def request_id_of(request: HttpRequest) -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request)
        started = time.perf_counter()
        with logs.bound(request_id=request_id):
            response = self.get_response(request)
            user = getattr(request, "user", None)
            match = getattr(request, "resolver_match", None)
            logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "route": match.view_name if match else None,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                },
            )
        response["X-Request-ID"] = request_id
        return response
