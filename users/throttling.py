from typing import Any

from rest_framework import throttling
from rest_framework.request import Request


class UserRateThrottle(throttling.UserRateThrottle):
    """DRF's per-user rate, for signed-in callers only.

    DRF's class also counts anonymous requests, per client address, which
    ``AnonRateThrottle`` already limits: each request is counted once, by the
    rate of its kind of caller.
    """

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)
