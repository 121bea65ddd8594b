"""Send safe reads to a read replica and everything else to the primary.

Active only when ``DATABASE_REPLICA_URL`` is set. Reads stay on the primary
inside a transaction and for the whole of a request that may write (any method
but GET/HEAD/OPTIONS), so that a client never reads stale data it just wrote
and locking reads see the rows they lock.
"""

import contextvars
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

PRIMARY = "default"
REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_pinned_to_primary: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "pinned_to_primary", default=False
)


class PrimaryReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if _pinned_to_primary.get() or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        # Both aliases hold the same data.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY


class PinWritesToPrimaryMiddleware:
    """Read from the primary for the whole of a request that may write."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _pinned_to_primary.set(request.method not in SAFE_METHODS)
        try:
            return self.get_response(request)
        finally:
            _pinned_to_primary.reset(token)
