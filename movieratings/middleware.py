"""Request middleware: request ids, one log line per request, body size limit."""

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

from movieratings.logging import request_id_var, user_id_var

logger = logging.getLogger("movieratings.request")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class _QueryCounter:
    """Count the SQL queries a request runs (an ``execute_wrapper``)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class RequestLogMiddleware:
    """Give each request an id and log one line when it ends.

    The id comes from a well-formed ``X-Request-ID`` header or is generated, and
    is returned in the response. The line carries method, path, status, user id,
    duration and query count; never headers or bodies, so no token or password
    can leak into the logs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        id_token = request_id_var.set(request_id)
        user_token = user_id_var.set("-")
        counter = _QueryCounter()
        started = time.perf_counter()
        try:
            with connections["default"].execute_wrapper(counter):
                response = self.get_response(request)
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            response[REQUEST_ID_HEADER] = request_id
            status = response.status_code
            level = (
                logging.ERROR
                if status >= 500
                else logging.WARNING
                if status >= 400
                else logging.INFO
            )
            logger.log(
                level,
                "%s %s %s %.2fms",
                request.method,
                request.path,
                status,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": duration_ms,
                    "queries": counter.count,
                },
            )
            return response
        finally:
            request_id_var.reset(id_token)
            user_id_var.reset(user_token)


class BodySizeLimitMiddleware:
    """Refuse request bodies over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with a 413.

    DRF reads the request stream directly, so Django's own limit (which guards
    ``request.body``) never applies to API requests. A view that takes larger
    bodies (the history import's file upload) says how large with a
    ``max_request_body_bytes()`` classmethod. Only a body over the global
    limit costs the URL lookup that finds it, so every other request is
    checked as cheaply as before, and no other route accepts more.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            limit = max(limit, _route_limit(request))
            if length > limit:
                return JsonResponse(
                    {
                        "detail": f"Request body too large (limit {limit} bytes).",
                        "code": "request_too_large",
                        "fields": {},
                    },
                    status=413,
                )
        return self.get_response(request)


def _route_limit(request: HttpRequest) -> int:
    """Return the body limit the view of ``request``'s route declares, or 0."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return 0
    view_class = getattr(match.func, "cls", None)
    declared = getattr(view_class, "max_request_body_bytes", None)
    return int(declared()) if callable(declared) else 0
