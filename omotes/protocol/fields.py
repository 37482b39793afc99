"""Reading and checking the fields of a message, with errors that name the message and field."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

#: Sent with every message. 1.1 added ``logs`` to results and errors (read as empty from 1.0);
#: 1.2 added ``messages`` to errors (per-asset reasons of a failure; read as none from 1.0/1.1).
PROTOCOL_VERSION = "1.2"


class ProtocolError(ValueError):
    """A message that does not follow this protocol; the text names the message and field."""


REQUIRED: Any = object()


def check(condition: bool, what: str, problem: str) -> None:
    if not condition:
        raise ProtocolError(f"{what}: {problem}")


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def short(value: Any) -> str:
    """A value as an error message quotes it: its repr, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_text(value: Any, what: str, name: str, allow_empty: bool = True) -> None:
    check(isinstance(value, str), what, f"{name} must be text, not {short(value)}")
    check(allow_empty or bool(value.strip()), what, f"{name} must not be empty")


def check_items(values: tuple, kind: type, what: str, name: str) -> None:
    for value in values:
        check(
            isinstance(value, kind),
            what,
            f"{name} must hold {kind.__name__} items, not {type(value).__name__}",
        )


def set_field(obj: Any, name: str, value: Any) -> None:
    """Normalise a field of a frozen dataclass in ``__post_init__`` (a list becomes a tuple)."""
    object.__setattr__(obj, name, value)


def parse_datetime(value: Any) -> datetime | None:
    """A datetime, or ISO 8601 text read as one ("Z" included); None for anything else."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


class Fields:
    """One message's JSON object, read field by field.

    A field that is absent or null takes ``default``; without a default it is missing, and a
    field of the wrong JSON type is refused. ``what`` names the message in every error.
    """

    def __init__(self, data: Any, what: str) -> None:
        check(isinstance(data, Mapping), what, f"expected an object, got {short(data)}")
        self.data = data
        self.what = what

    def raw(self, key: str, default: Any = REQUIRED) -> Any:
        value = self.data.get(key)
        if value is None:
            check(default is not REQUIRED, self.what, f"{key!r} is missing")
            return default
        return value

    def _typed(self, key: str, default: Any, test, kind: str) -> Any:
        value = self.raw(key, default)
        if value is not default:
            check(test(value), self.what, f"{key!r} must be {kind}, not {short(value)}")
        return value

    def text(self, key: str, default: Any = REQUIRED) -> Any:
        return self._typed(key, default, lambda v: isinstance(v, str), "text")

    def integer(self, key: str, default: Any = REQUIRED) -> Any:
        return self._typed(key, default, is_int, "a whole number")

    def number(self, key: str, default: Any = REQUIRED) -> Any:
        return self._typed(key, default, is_number, "a number")

    def items(self, key: str) -> list[Any]:
        """A list field; absent means empty."""
        return self._typed(key, [], lambda v: isinstance(v, list), "a list")

    def mapping(self, key: str, default: Any = REQUIRED) -> Any:
        return self._typed(key, default, lambda v: isinstance(v, Mapping), "an object")

    def uuid(self, key: str, default: Any = REQUIRED) -> Any:
        value = self.text(key, default)
        if value is default:
            return value
        try:
            return uuid.UUID(value)
        except ValueError:
            raise ProtocolError(
                f"{self.what}: {key!r} must be a UUID, not {short(value)}"
            ) from None

    def version(self) -> None:
        """Refuse a message of another major version (or none)."""
        version = self.text("version", "")
        check(
            version.split(".")[0] == PROTOCOL_VERSION.split(".")[0],
            self.what,
            f"unsupported protocol version {version!r} (this side speaks {PROTOCOL_VERSION})",
        )
