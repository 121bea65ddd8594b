"""The API's JSON parser: orjson, with a bound on how deep a document nests.

No request of the API nests deeper than a few levels, but DRF's fields turn
what they are given into text (``str(value)``) before refusing it, and a list
nested a thousand levels deep exhausts Python's recursion limit there: a 500
instead of a 400. orjson itself stops only at 1024 levels. So the parser
refuses a document nested deeper than ``MAX_JSON_DEPTH`` once parsed, in the
error shape of malformed JSON; the check walks the document without
recursion, in time linear in its size (which the body size limit bounds).
"""

from typing import Any

from drf_orjson_renderer.parsers import ORJSONParser
from rest_framework.exceptions import ParseError

# Arrays and objects within one another. The deepest request body of the API
# holds an object of lists (a movie's genres): two levels.
MAX_JSON_DEPTH = 32


def json_depth(document: Any) -> int:
    """Return how many arrays and objects ``document`` nests within one another."""
    deepest = 0
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest


class JSONParser(ORJSONParser):
    """Parse JSON with orjson; refuse documents nested deeper than the API needs."""

    def parse(
        self, stream: Any, media_type: Any = None, parser_context: Any = None
    ) -> Any:
        document = super().parse(stream, media_type, parser_context)
        if json_depth(document) > MAX_JSON_DEPTH:
            raise ParseError(
                f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels."
            )
        return document
