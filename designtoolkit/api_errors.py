"""One error shape for every REST endpoint: ``{"detail": "...", "errors": {field: ["..."]}}``.

``detail`` is a sentence for a person: the error's message, or for invalid input each failing
field's first message prefixed with its name ("width: Ensure this value is ..."). ``errors`` maps
each field that failed to all of its messages, and is empty when the error is not about one field
(401, 403, 404, 409, a rule across fields). Nested fields are named with dots
(``params.timestep_s``); an item of a list counts as the list (``jobs``).

Views raise DRF exceptions (``ValidationError``, ``NotFound``, ...) and services raise Django's
``ValidationError``; :func:`exception_handler` turns both into this shape, so no view builds an
error body of its own. :class:`ApiSchema` documents the shape on every operation of the OpenAPI
schema.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

_NOT_A_FIELD = {NON_FIELD_ERRORS, api_settings.NON_FIELD_ERRORS_KEY}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (status, headers such as Retry-After), with the body in the one shape.

    None (an unexpected exception) lets Django answer 500 and report it.
    """
    unprocessable = isinstance(exc, DjangoValidationError) and is_unprocessable(exc)
    # a model refused by a workflow's pre-flight: the messages by asset, and the assets listed
    assets = getattr(exc, "asset_problems", None)
    asset_messages = list(getattr(exc, "messages", [])) if assets else []
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(detail=get_error_detail(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        response.data = invalid_input_body(response.data)
        if unprocessable:
            response.status_code = 422
        if assets:
            response.data["errors"] = {"assets": asset_messages}
            response.data["assets"] = assets
    else:
        data = response.data
        detail = data.get("detail", data) if isinstance(data, dict) else data
        response.data = {"detail": str(detail), "errors": {}}
    return response


def is_unprocessable(exc: DjangoValidationError) -> bool:
    """A service's ValidationError is a 422 when every error in it has the code
    ``unprocessable``: well-formed input that breaks a rule (an ESDL model's rules), as opposed
    to input that is malformed (400)."""
    errors = getattr(exc, "error_list", [])
    return bool(errors) and all(error.code == "unprocessable" for error in errors)


def invalid_input_body(detail: Any) -> dict[str, Any]:
    """The body of a 400 from DRF's nested validation errors."""
    errors = field_errors(detail)
    general = errors.pop("", [])
    sentences = general + [f"{name}: {messages[0]}" for name, messages in errors.items()]
    return {"detail": " ".join(sentences) or "Invalid input.", "errors": errors}


def field_errors(detail: Any, name: str = "") -> dict[str, list[str]]:
    """Field name -> messages, from DRF's error structure (dicts by field, lists of messages,
    dicts by item index); messages not about a field are under ""."""
    found: dict[str, list[str]] = {}

    def add(more: dict[str, list[str]]) -> None:
        for key, messages in more.items():
            found.setdefault(key, []).extend(messages)

    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int) or key in _NOT_A_FIELD:
                add(field_errors(value, name))
            else:
                add(field_errors(value, f"{name}.{key}" if name else str(key)))
    elif isinstance(detail, list):
        for item in detail:
            add(field_errors(item, name))
    else:
        found[name] = [str(detail)]
    return found


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer of the API."""

    detail = serializers.CharField(help_text="What went wrong, for a person to read")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field of the request (dotted for nested fields); empty when the "
        "error is not about a field",
    )


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


#: The errors every operation may answer with, and when.
COMMON_ERRORS = {
    "401": "not logged in (no or invalid credentials)",
    "403": "logged in, but not allowed to do this",
}
INPUT_ERROR = "the request's input is invalid"
NOT_FOUND = "no such object, or one the user may not see"


class ApiSchema(AutoSchema):
    """drf-spectacular's schema with the error shape on every operation: 401 and 403 always,
    400 where there is input to refuse (a body, or query parameters declared by the view), 404
    where the path names an object; a view's own ``@extend_schema`` responses come first."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        errors = dict(COMMON_ERRORS)
        query = [p for p in self._get_parameters() if p.get("in") == "query"]
        if self.method in ("POST", "PUT", "PATCH") or query:
            errors["400"] = INPUT_ERROR
        if "{" in self.path:
            errors["404"] = NOT_FOUND
        for code, description in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    error_response(description), code, direction=direction
                )
        return responses


class Conflict(APIException):
    """409: the request clashes with the object's state (cancelling a job that has ended)."""

    status_code = 409
    default_detail = "The request conflicts with the current state of the object."
    default_code = "conflict"
