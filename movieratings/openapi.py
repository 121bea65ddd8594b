"""OpenAPI generation: every operation documents the errors it can answer."""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.request import Request


class ErrorSerializer(serializers.Serializer[Any]):
    """The one shape of every error response."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # Declared here because a class attribute named ``fields`` would hide
        # Serializer.fields.
        return {
            "detail": serializers.CharField(help_text="What went wrong, for people."),
            "code": serializers.CharField(help_text="A stable code, for programs."),
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
# Bounds that a filter's form field enforces, as JSON Schema keywords.
_FILTER_BOUNDS = {"min_value": "minimum", "max_value": "maximum"}


class AutoSchema(openapi.AutoSchema):
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
        return parameters

    def _get_response_headers_for_code(
        self, status_code: Any, direction: Any = "response"
    ) -> dict[str, Any]:
        headers: dict[str, Any] = super()._get_response_headers_for_code(
            status_code, direction
        )
        return {**_ERROR_HEADERS.get(str(status_code), {}), **headers}

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
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
