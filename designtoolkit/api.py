"""API-wide behaviour: errors always come back as JSON with a ``detail`` message."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """A Django ValidationError is a 400, or a 422 when every error in it has the code
    ``unprocessable`` (well-formed input that breaks a rule, e.g. an ESDL model's rules)."""
    if isinstance(exc, DjangoValidationError):
        errors = getattr(exc, "error_list", [])
        unprocessable = bool(errors) and all(e.code == "unprocessable" for e in errors)
        return Response(
            {"detail": " ".join(exc.messages)},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY
            if unprocessable
            else status.HTTP_400_BAD_REQUEST,
        )
    return drf_exception_handler(exc, context)


class Conflict(APIException):
    """409: the request clashes with the object's state (a job on a model whose input profiles
    are still being bound)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
