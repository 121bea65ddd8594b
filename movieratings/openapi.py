"""OpenAPI generation: every operation documents the errors it can answer."""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers


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


class AutoSchema(openapi.AutoSchema):
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
        public = all(
            isinstance(permission, permissions.AllowAny)
            for permission in self.view.get_permissions()
        )
        if not public:
            codes.append("403")
        if "{" in self.path or self._is_list_view():
            codes.append("404")
        return sorted(codes)

    def _get_filter_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_filter_parameters()
        for parameter in parameters:
            # Every filter treats an empty value as absent (API contract).
            parameter["allowEmptyValue"] = True
        return parameters

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
