"""OpenAPI generation: a schema that generated clients can take at its word.

Every operation documents the errors it can answer. The rest is what
openapi-python-client and openapi-typescript need to produce clean, typed
clients, done here once for every view (present and future) rather than per
view: integer path ids with a description, security that keeps public reads
callable without a token, lists in query parameters accepted and documented
in both forms, response fields marked required, named enum members, and the
``ETag``/``304`` of conditional GETs (``ConditionalGetMiddleware``).

What is particular to a view (summaries, examples, parameters) lives in its
app's ``schema.py``, one decorator per view (``view_schema``), so that
``views.py`` holds HTTP alone.
"""

import re
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance, get_view_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.request import Request

from movieratings.exceptions import ERROR_CODE_CHOICES


class ErrorSerializer(serializers.Serializer[Any]):
    """The one shape of every error response."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # Declared here because a class attribute named ``fields`` would hide
        # Serializer.fields.
        return {
            "detail": serializers.CharField(help_text="What went wrong, for people."),
            "code": serializers.ChoiceField(
                choices=ERROR_CODE_CHOICES,
                help_text="A stable code, for programs.",
            ),
            "fields": serializers.DictField(
                child=serializers.ListField(child=serializers.CharField()),
                help_text="Messages per offending input field; empty unless the "
                "input was invalid.",
            ),
        }


_ERRORS = {
    "400": "Invalid input: malformed JSON, wrong types, out-of-range values, "
    "uniqueness, or an invalid query parameter.",
    "401": "Missing, invalid or expired token (see `WWW-Authenticate`).",
    "403": "Authenticated but not allowed.",
    "404": "Unknown resource, or a page past the end.",
    "413": "Request body too large.",
    "415": "Unsupported content type: send `application/json`.",
    "429": "Too many requests: retry after `Retry-After` seconds.",
    "503": "A backing service (the database) is unavailable: retry later.",
}
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Headers that always come with an error status (DRF sets both).
_ERROR_HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "schema": {"type": "string"},
            "required": True,
            "description": 'The authentication scheme to use: `Bearer realm="api"`.',
        }
    },
    "429": {
        "Retry-After": {
            "schema": {"type": "integer", "minimum": 0},
            "required": True,
            "description": "Seconds to wait before retrying.",
        }
    },
}
_ETAG_HEADER = {
    "ETag": {
        "schema": {"type": "string"},
        "required": True,
        "description": "Validator of this body: send it back in `If-None-Match` "
        "to get a `304 Not Modified` while the resource is unchanged.",
    }
}
# Bounds that a filter's form field enforces, as JSON Schema keywords.
_FILTER_BOUNDS = {"min_value": "minimum", "max_value": "maximum"}
# What the server makes of a list in the query string (movieratings.filters).
_LIST_FORMS = (
    "Repeat the parameter (`?{name}=a&{name}=b`) or separate values with "
    "commas (`?{name}=a,b`)."
)
# The security of an operation that takes a token but does not need one: the
# document's default (see ``postprocess_schema``). openapi-python-client demands
# an authenticated client for an operation with any ``security`` of its own,
# even ``[{}, {"jwtAuth": []}]``, and takes either client where it has none.
OPTIONAL_JWT: list[dict[str, list[str]]] = [{"jwtAuth": []}, {}]


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        security = operation.get("security", [])
        if not security or security == [{}]:
            # No token is read (the probes) or none is wanted (sign-in, declared
            # with ``extend_schema(auth=[])``): say so against the default.
            operation["security"] = []
        elif {} in security:
            del operation["security"]  # optional: the document's default
        return operation

    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_parameters()
        model = get_view_model(self.view, emit_warnings=False)
        for parameter in parameters:
            if parameter["in"] == "path" and _is_id_parameter(parameter):
                parameter["schema"] = {"type": "integer", "minimum": 1}
                if not parameter.get("description") and model is not None:
                    parameter["description"] = f"Id of the {model._meta.verbose_name}."
        return parameters

    def _allows_anonymous(self) -> bool:
        """Return whether a caller without a token passes every permission."""
        http_request = HttpRequest()
        http_request.method = self.method
        request = Request(http_request)
        request.user = AnonymousUser()
        return all(
            permission.has_permission(request, self.view)
            for permission in self.view.get_permissions()
        )

    def get_auth(self) -> list[dict[str, Any]]:
        auths: list[dict[str, Any]] = super().get_auth()
        # drf-spectacular only knows DRF's own permissions; ours (admins write,
        # anyone reads) also let anonymous callers in, and the schema says so.
        if auths and {} not in auths and self._allows_anonymous():
            auths.append({})
        return auths

    def _error_codes(self) -> list[str]:
        codes = ["503"]
        # The probes neither authenticate nor throttle: they cannot answer these.
        if self.view.get_authenticators():
            codes.append("401")
        if self.view.get_throttles():
            codes.append("429")
        has_query = bool(
            self._get_filter_parameters() or self._get_pagination_parameters()
        )
        if self.method in _BODY_METHODS or has_query:
            codes.append("400")
        if self.method in _BODY_METHODS:
            codes += ["413", "415"]
        if not self._allows_anonymous():
            codes.append("403")
        if "{" in self.path or self._is_list_view():
            codes.append("404")
        return sorted(codes)

    def _get_paginator(self) -> Any:
        paginator = super()._get_paginator()
        if paginator is not None:
            paginator.schema_path = self.path  # for its examples of page links
        return paginator

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and isinstance(
            force_instance(serializer), serializers.ModelSerializer
        ):
            # A model serializer writes every field of every row (nullable ones
            # as null); drf-spectacular would leave writable fields with
            # required=False optional here too, typed ``X | Unset`` by clients.
            schema["required"] = list(schema.get("properties", {}))
        return schema

    def _get_filter_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_filter_parameters()
        filterset = getattr(self.view, "filterset_class", None)
        filters = getattr(filterset, "base_filters", {})
        for parameter in parameters:
            # Every filter treats an empty value as absent (API contract).
            parameter["allowEmptyValue"] = True
            filter_ = filters.get(parameter["name"])
            if filter_ is not None:
                _document_bounds(parameter["schema"], filter_.extra)
            if parameter["schema"].get("type") == "array":
                _document_list_forms(parameter)
        return parameters

    def _sends_etag(self) -> bool:
        """Return whether the operation's 200 carries an ETag (and may be a 304).

        ConditionalGetMiddleware validates every GET whose body it holds; a
        streamed body (a view with ``streams_body = True``) has none to hash.
        """
        return self.method == "GET" and not getattr(self.view, "streams_body", False)

    def _get_response_headers_for_code(
        self, status_code: Any, direction: Any = "response"
    ) -> dict[str, Any]:
        headers: dict[str, Any] = super()._get_response_headers_for_code(
            status_code, direction
        )
        if self._sends_etag() and str(status_code) == "200":
            headers = {**_ETAG_HEADER, **headers}
        return {**_ERROR_HEADERS.get(str(status_code), {}), **headers}

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if self._sends_etag() and "200" in responses:
            responses["304"] = {
                "description": "Not modified: the `ETag` sent in `If-None-Match` "
                "still matches. No body.",
                "headers": _ETAG_HEADER,
            }
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=_ERRORS[code]),
                    code,
                    direction=direction,
                )
        return responses


def _document_bounds(schema: dict[str, Any], extra: dict[str, Any]) -> None:
    """Add the bounds a filter enforces (``extra``: its form field's kwargs)."""
    target = schema.get("items", schema) if schema.get("type") == "array" else schema
    if target.get("type") in {"integer", "number"}:
        for option, keyword in _FILTER_BOUNDS.items():
            if extra.get(option) is not None:
                target.setdefault(keyword, extra[option])
    if target.get("type") == "string" and extra.get("max_length") is not None:
        target.setdefault("maxLength", extra["max_length"])


def _is_id_parameter(parameter: dict[str, Any]) -> bool:
    """Return whether a path parameter is a numeric database id."""
    schema, name = parameter["schema"], parameter["name"]
    numeric = schema.get("type") == "integer" or schema.get("pattern") == "^[0-9]+$"
    return numeric and (name in {"id", "pk"} or name.endswith("_id"))


def _document_list_forms(parameter: dict[str, Any]) -> None:
    """Document a list parameter as repeatable, and its comma-separated form."""
    parameter["explode"] = True
    parameter["style"] = "form"
    description = parameter.get("description", "")
    if "comma" not in description:
        forms = _LIST_FORMS.format(name=parameter["name"])
        parameter["description"] = f"{description}\n\n{forms}".strip()


# --- postprocessing: settings.SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] ----

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def postprocess_schema(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Finish the whole document: its default security and enum member names."""
    result["security"] = OPTIONAL_JWT
    _name_enum_members(result)
    return result


def enum_member_name(value: str) -> str:
    """Return a constant name for an enum value: ``-year`` → ``YEAR_DESC``."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", value.lstrip("-")).strip("_").upper()
    return f"{name}_DESC" if value.startswith("-") else name


def _name_enum_members(node: Any) -> None:
    """Give string enums whose values are not identifiers ``x-enum-varnames``.

    Generators otherwise number them (``VALUE_0``…); ordering values such as
    ``-year`` become ``YEAR_DESC``.
    """
    if isinstance(node, dict):
        values = node.get("enum")
        if (
            isinstance(values, list)
            and values
            and all(isinstance(value, str) for value in values)
            and not all(_IDENTIFIER.match(value) for value in values)
        ):
            node["x-enum-varnames"] = [enum_member_name(value) for value in values]
        for value in node.values():
            _name_enum_members(value)
    elif isinstance(node, list):
        for item in node:
            _name_enum_members(item)


def id_parameter(description: str) -> OpenApiParameter:
    """Return the integer ``{id}`` path parameter of a custom route."""
    return OpenApiParameter(
        "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=description
    )


_View = TypeVar("_View")


def view_schema(*decorators: Callable[[_View], _View]) -> Callable[[_View], _View]:
    """Return one decorator that applies ``decorators`` as if stacked on a view,
    the first outermost (each app's ``schema.py`` documents a view with one)."""

    def decorate(view: _View) -> _View:
        for decorator in reversed(decorators):
            view = decorator(view)
        return view

    return decorate
