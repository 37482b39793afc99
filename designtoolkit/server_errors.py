"""What a request gets when the server, not the request, is at fault.

A database that refuses connections ("too many clients", a failover, a lock or pool timeout) is
a passing condition: the client should come back, so it gets 503 with Retry-After, as JSON in
the API's error shape or as a page. Anything else is a defect: 500, logged by Django. Django
calls ``handler500`` inside its ``except`` block, so the exception is at hand here.
"""

from __future__ import annotations

import logging
import sys

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger(__name__)

RETRY_AFTER_S = 5


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: 503 while the database cannot serve, else the product's 500 page."""
    failure = sys.exc_info()[1]
    busy = isinstance(failure, OperationalError)
    status = 503 if busy else 500
    if busy:
        logger.warning("database unavailable: answered 503 (%s)", failure)
        detail = f"The service is busy; try again in {RETRY_AFTER_S} seconds."
    else:
        detail = "Something went wrong; the error has been logged."
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": detail, "errors": {}}, status=status)
    else:
        template = "503.html" if busy else "500.html"
        response = HttpResponse(loader.get_template(template).render(), status=status)
    if busy:
        response["Retry-After"] = str(RETRY_AFTER_S)
    return response
