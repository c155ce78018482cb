"""The API's JSON parser: a body the database would refuse is a 400 naming the field.

Deep nesting (``[[[[…``) is a parse error rather than a ``RecursionError``; text with NUL
characters or lone surrogates, out-of-range numbers and the like anywhere in the body are field
errors before any serializer or service sees them (``apps.core.validation``).
"""

from __future__ import annotations

import re

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from apps.core.validation import database_refusal_at

_FIRST_KEY = re.compile(r"^([^.\[]*)(.*)$")


class DatabaseSafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        where, reason = database_refusal_at(data)
        if reason:
            field, rest = _FIRST_KEY.match(where).groups()
            rest = rest.lstrip(".")
            raise ValidationError(
                {field or "non_field_errors": [f"{rest}: {reason}" if rest else reason]}
            )
        return data
