"""One error shape for every error response: ``{"detail", "code", "fields"}``.

``detail`` is a human-readable sentence, ``code`` one of ``ERROR_CODES``
(simplejwt's codes for token errors), and ``fields`` maps each offending input
field to its messages (empty unless the input was invalid). The schema
documents ``code`` as an enum of ``ERROR_CODES``; a code raised anywhere else
(a validator's own, a library's) is answered as its status's general code, so
that clients can rely on the list.

Every path under ``/api/`` answers JSON, also in development where Django
would render its HTML 404 page: ``api_fallback`` ends the URL list.
"""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

NON_FIELD_ERRORS = "non_field_errors"
API_FALLBACK = "api-fallback"

# The stable values of ``code``, with what they mean (the schema lists them).
ERROR_CODES = {
    "invalid": "400: invalid input; `fields` names what is wrong.",
    "parse_error": "400: the body is not valid JSON.",
    "bad_request": "400: the request is malformed (e.g. its host).",
    "not_authenticated": "401: no token was sent.",
    "authentication_failed": "401: the credentials are not valid.",
    "no_active_account": "401: wrong email or password.",
    "token_not_valid": "401: the token is invalid, expired or revoked.",
    "bad_authorization_header": "401: the `Authorization` header is malformed.",
    "user_not_found": "401: the token's user no longer exists.",
    "user_inactive": "401: the token's user is deactivated.",
    "password_changed": "401: the token predates a password change.",
    "permission_denied": "403: authenticated but not allowed.",
    "not_found": "404: unknown resource or page.",
    "method_not_allowed": "405: the path does not take this method.",
    "not_acceptable": "406: no acceptable response format.",
    "request_too_large": "413: the request body is too large.",
    "unsupported_media_type": "415: send `application/json`.",
    "throttled": "429: too many requests; see `Retry-After`.",
    "server_error": "500: a bug; it has been logged.",
    "service_unavailable": "503: the database is unavailable; retry later.",
    "not_ready": "503: a backing service is unavailable (readiness probe).",
}
ERROR_CODE_CHOICES = list(ERROR_CODES.items())
_GENERAL_CODES = {
    400: "invalid",
    401: "authentication_failed",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "throttled",
    503: "service_unavailable",
}


def error_body(
    detail: str, code: str, fields: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    """Return an error body in the project's one shape."""
    return {"detail": detail, "code": code, "fields": dict(fields or {})}


def _flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error details into ``{"a.b.0": [messages]}``."""
    if isinstance(errors, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in errors.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(errors, Sequence) and not isinstance(errors, str):
        if all(not isinstance(item, Mapping | list) for item in errors):
            return {prefix or NON_FIELD_ERRORS: [str(item) for item in errors]}
        flat = {}
        for index, item in enumerate(errors):
            if item:
                flat.update(
                    _flatten(item, f"{prefix}.{index}" if prefix else str(index))
                )
        return flat
    return {prefix or NON_FIELD_ERRORS: [str(errors)]}


def _validation_body(exc: exceptions.ValidationError) -> dict[str, Any]:
    fields = _flatten(exc.detail)
    if list(fields) == [NON_FIELD_ERRORS]:
        messages = fields[NON_FIELD_ERRORS]
        return error_body(" ".join(messages), _first_code(exc.get_codes()), fields)
    return error_body("Invalid input.", "invalid", fields)


def _first_code(codes: Any) -> str:
    while isinstance(codes, Mapping | list):
        if not codes:
            return "invalid"
        codes = next(iter(codes.values())) if isinstance(codes, Mapping) else codes[0]
    return str(codes)


def _api_exception_body(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        return _validation_body(exc)
    detail = exc.detail
    if isinstance(detail, Mapping):
        # simplejwt's token errors: {"detail", "code", "messages"}.
        return error_body(str(detail.get("detail", "")), str(detail.get("code", "")))
    return error_body(str(detail), _first_code(exc.get_codes()))


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every API error in the one documented shape."""
    if isinstance(exc, OperationalError | InterfaceError):
        logger.error("Database unavailable", exc_info=exc)
        return Response(
            error_body("Service temporarily unavailable.", "service_unavailable"),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, DjangoValidationError):
        # Services raise Django's ValidationError; render it like a serializer's.
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, Http404):
        # DRF's handler converts these two itself but keeps ``exc`` unchanged;
        # convert them first so that the body below is built from an APIException.
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, ObjectDoesNotExist):
        # A service found the row it was to change deleted by a concurrent
        # request after the view had looked it up.
        exc = exceptions.NotFound(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        if isinstance(exc, DatabaseError):
            logger.error("Database error", exc_info=exc)
        return None
    assert isinstance(exc, exceptions.APIException)  # noqa: S101 (DRF only handles these)
    body = _api_exception_body(exc)
    if body["code"] not in ERROR_CODES:
        body["code"] = _general_code(response.status_code)
    response.data = body
    return response


def _general_code(status_code: int) -> str:
    """Return the listed code for a status whose specific code is not listed."""
    default = "invalid" if status_code < 500 else "server_error"
    return _GENERAL_CODES.get(status_code, default)


def _json_error(status_code: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse(error_body(detail, code), status=status_code)


def bad_request(request: HttpRequest, exception: Exception) -> JsonResponse:
    return _json_error(400, "Bad request.", "bad_request")


def permission_denied(request: HttpRequest, exception: Exception) -> JsonResponse:
    return _json_error(
        403, "You do not have permission to perform this action.", "permission_denied"
    )


def page_not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    return _json_error(404, "Not found.", "not_found")


def server_error(request: HttpRequest) -> JsonResponse:
    return _json_error(500, "A server error occurred.", "server_error")


@csrf_exempt
def api_fallback(request: HttpRequest, path: str = "") -> HttpResponse:
    """Answer a path under ``/api/`` that no route matches, in JSON.

    A path that lacks only its trailing slash gets a 308 to the right one,
    for every method (a 308 keeps the method and body, where ``APPEND_SLASH``
    would fail on a POST); anything else a JSON 404, in every mode.
    """
    if not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != API_FALLBACK:
            target = request.path + "/"
            if request.META.get("QUERY_STRING"):
                target += "?" + request.META["QUERY_STRING"]
            return HttpResponsePermanentRedirect(target, preserve_request=True)
    return page_not_found(request, Http404())
