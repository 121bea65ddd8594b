"""Request middleware: request ids and log lines, body size limit, 405s."""

import io
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from rest_framework.views import APIView

from movieratings.exceptions import error_body
from movieratings.logging import request_id_var, user_id_var

logger = logging.getLogger("movieratings.request")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_META = "HTTP_X_REQUEST_ID"
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
        incoming = request.META.get(_REQUEST_ID_META, "")
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

    A body sent with ``Transfer-Encoding: chunked`` has no ``Content-Length``,
    and Django reads a request without one as empty: the API would act on a
    request it never read. gunicorn decodes the chunks and ends the input with
    the body (``wsgi.input_terminated``), so such a body is read here, up to
    one byte over the limit, and handed on as if it had come with its length;
    a longer one is a 413 like any other. A server that does not end the
    input there (Django's development server) gets a 411.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if _is_chunked(request):
            if not request.META.get("wsgi.input_terminated"):
                return JsonResponse(
                    error_body(
                        "A request body needs a Content-Length header.",
                        "length_required",
                    ),
                    status=411,
                )
            if limit is not None:
                # Its length is known only once it is read: read as much as
                # its route accepts (chunked bodies are rare; the lookup is too).
                limit = max(limit, _route_limit(request))
            length = _read_chunked(request, limit)
        else:
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


def _is_chunked(request: HttpRequest) -> bool:
    encodings = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in encodings and not request.META.get("CONTENT_LENGTH")


def _read_chunked(request: HttpRequest, limit: int | None) -> int:
    """Read a chunked body (to ``limit`` + 1 bytes) as if it had its length."""
    stream = request.META["wsgi.input"]
    body = stream.read() if limit is None else stream.read(limit + 1)
    request.META["CONTENT_LENGTH"] = str(len(body))
    # What WSGIRequest builds from a Content-Length; nothing has read it yet.
    request._stream = LimitedStream(io.BytesIO(body), len(body))  # type: ignore[assignment]
    return len(body)


def _served_methods(view_func: Callable[..., Any]) -> set[str] | None:
    """Return the methods a DRF view serves, or None for any other view."""
    cls = getattr(view_func, "cls", None)
    if not (isinstance(cls, type) and issubclass(cls, APIView)):
        return None
    initkwargs = getattr(view_func, "initkwargs", {})
    names = set(initkwargs.get("http_method_names", cls.http_method_names))
    actions = getattr(view_func, "actions", None)
    if actions is not None:  # A viewset route: its method -> action map.
        served = {*actions, "options"}
    else:
        served = {name for name in names if hasattr(cls, name)} | {"options"}
    if "get" in served:
        served.add("head")  # As Django's View and DRF's viewsets add it.
    return served & names


class MethodNotAllowedMiddleware:
    """Answer 405 for a method the view does not serve, before anything else.

    DRF authenticates the caller and checks permissions (and throttles)
    before it looks up the handler of the method, so a method no route
    serves could be answered 401 or 403: what the caller may do instead of
    what the resource supports. The contract makes a wrong method a 405,
    whoever asks, with the methods that are served in ``Allow``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        served = _served_methods(view_func)
        method = (request.method or "").lower()
        if served is None or method in served:
            return None
        response = JsonResponse(
            error_body(f'Method "{request.method}" not allowed.', "method_not_allowed"),
            status=405,
        )
        response["Allow"] = ", ".join(sorted(name.upper() for name in served))
        return response
