"""Liveness and readiness probes for load balancers and orchestrators."""

import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from movieratings.exceptions import error_body
from movieratings.openapi import ErrorSerializer

logger = logging.getLogger(__name__)

StatusSerializer = inline_serializer(
    "HealthStatus",
    fields={
        "status": serializers.CharField(),
        "checks": serializers.DictField(child=serializers.CharField(), required=False),
    },
)


class _ProbeView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()


class HealthView(_ProbeView):
    @extend_schema(
        tags=["operations"],
        summary="Liveness: 200 while the process serves",
        responses={200: StatusSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.warning("Readiness: database unavailable", exc_info=True)
        return False


def _cache_ok() -> bool:
    key = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=5)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception:  # any cache backend error means "not ready"
        logger.warning("Readiness: cache unavailable", exc_info=True)
        return False
    if not ok:
        logger.warning("Readiness: cache unavailable")
    return ok


class ReadinessView(_ProbeView):
    @extend_schema(
        tags=["operations"],
        summary="Readiness: 200 when the database (and cache, if any) answers",
        responses={
            200: StatusSerializer,
            503: OpenApiResponse(ErrorSerializer, description="Not ready."),
        },
    )
    def get(self, request: Request) -> Response:
        checks: dict[str, Any] = {"database": _database_ok()}
        if settings.REDIS_URL:
            checks["cache"] = _cache_ok()
        failed = sorted(name for name, ok in checks.items() if not ok)
        if failed:
            return Response(
                error_body(f"Not ready: {', '.join(failed)} unavailable.", "not_ready"),
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response({"status": "ok", "checks": dict.fromkeys(checks, "ok")})
