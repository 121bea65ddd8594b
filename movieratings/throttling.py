"""Request rates per caller, counted in one cache round trip per request.

DRF's throttles keep the time of each of a caller's recent requests in one
cached list, which every request reads and writes back: two round trips and a
list as long as the rate. Here each caller has a window that opens with its
first request and lasts the rate's period, and a counter that expires with
it: one atomic increment per request. A caller gets at most the rate's number
of requests per window; across the end of one window and the start of the
next, at most twice that in a short span.

While the shared cache is unreachable, each process counts in its own memory
instead: a caller then gets the rate once per process rather than no limit at
all, so sign-in guessing is still slowed while Redis is down or hung.

Every app's views take their scoped rates from here: ``ScopedThrottleMixin``
adds the rate of a scope (``settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``)
to the actions that name one.
"""

from typing import Any

from django.core.cache import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from rest_framework import throttling
from rest_framework.request import Request

# Set on a request that a middleware has already counted against its caller's
# rate (movieratings/response_cache.py), to ``(throttle key, count)``: the
# throttle with that key reads the count instead of counting the request twice.
COUNTED_REQUEST = "counted_request"
# The scope of every write of a rating, by whichever endpoint (ratings, diary).
RATING_WRITE = "rating_write"

# This process's counters for while the shared cache cannot be reached.
_fallback_cache = LocMemCache(
    "throttle-fallback", {"TIMEOUT": None, "OPTIONS": {"MAX_ENTRIES": 10_000}}
)


class WindowRateThrottle(throttling.SimpleRateThrottle):
    """``SimpleRateThrottle`` with a counter per window instead of a history."""

    # Not DRF's key: a cache may still hold its lists, which cannot be counted.
    cache_format = "throttle:%(scope)s:%(ident)s"
    # Set by DRF from the rate (absent from the stubs).
    num_requests: int
    duration: int

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self._counter: BaseCache = self.cache
        counted = getattr(request, COUNTED_REQUEST, None)
        if counted is not None and counted[0] == self.key:
            return bool(counted[1] <= self.num_requests)
        count = self._count()
        if count is None:
            # The shared cache is unreachable; an outage of the cache must
            # not become an outage of the API, nor lift the limit.
            self._counter = _fallback_cache
            count = self._count()
        return count is None or count <= self.num_requests

    def wait(self) -> float:
        """Seconds until the caller's window closes."""
        opened = self._counter.get(self._opened_key)
        if opened is None:
            return float(self.duration)
        return max(opened + self.duration - self.timer(), 1.0)

    @property
    def _opened_key(self) -> str:
        return f"{self.key}:opened"

    def _count(self) -> int | None:
        """Count this request in the caller's window, opening one if none is."""
        for _ in range(2):  # A second time if another request opened it meanwhile.
            try:
                count: int | None = self._counter.incr(self.key)
                return count
            except ValueError:  # No open window.
                created = self._counter.add(self.key, 1, timeout=self.duration)
                if created is None:
                    return None
                if created:
                    self._counter.set(self._opened_key, self.timer(), self.duration)
                    return 1
        return None


class AnonRateThrottle(throttling.AnonRateThrottle, WindowRateThrottle):
    """The anonymous rate, per client address."""


class UserRateThrottle(throttling.UserRateThrottle, WindowRateThrottle):
    """The per-user rate, for signed-in callers only.

    DRF's class also counts anonymous requests, per client address, which
    ``AnonRateThrottle`` already limits: each request is counted once, by the
    rate of its kind of caller.
    """

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class ScopedRateThrottle(throttling.ScopedRateThrottle, WindowRateThrottle):
    """The rate of the view's ``throttle_scope`` (sign-in, sign-up, rating)."""


class ScopedThrottleMixin:
    """Add a scoped throttle for the actions named in ``throttle_scopes``."""

    throttle_scopes: dict[str, str] = {}

    def get_throttles(self) -> list[throttling.BaseThrottle]:
        throttles: list[throttling.BaseThrottle] = super().get_throttles()  # type: ignore[misc]
        scope = self.throttle_scopes.get(getattr(self, "action", None) or "")
        if scope:
            self.throttle_scope = scope
            throttles.append(ScopedRateThrottle())
        return throttles
