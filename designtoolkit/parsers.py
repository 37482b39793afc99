"""Request body parsers of the REST API.

Python's ``json`` decoder recurses once per nesting level, so a body of 5,000 nested arrays
raises RecursionError, which DRF's parser does not catch: the request became a 500. No request of
this API nests deeper than a few levels, so such a body is refused as malformed (400).
"""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JSONBodyParser(JSONParser):
    """DRF's strict JSON parser (no NaN or Infinity) that refuses absurd nesting with a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error: the body is nested too deeply.") from exc
