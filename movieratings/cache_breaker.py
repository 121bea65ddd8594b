"""A circuit breaker around every connection to Redis.

django-redis turns a failed cache call into a miss (``IGNORE_EXCEPTIONS``), so
a Redis that is down costs little: the connection is refused at once. A Redis
that accepts connections and never answers (a network partition, a frozen
host) is worse: every cache call waits out the socket timeout, several times
per request. So after a call fails on a connection error or a timeout, this
process stops calling Redis for ``REDIS_BREAKER_SECONDS``: calls fail at once,
as they would with Redis down, and django-redis reports them as misses. Then
one call goes through as a probe (the others still fail at once); its success
closes the breaker, its failure opens it again.

The breaker sits in redis-py's connection class, which django-redis takes
through ``CONNECTION_POOL_CLASS``, so every cache user (the catalogue cache,
throttles, the sign-in guard) goes through it and none needs to know. A
library was considered (``circuitbreaker``, ``pybreaker``): both wrap function
calls and count failures before opening, while here the first timeout must
open the breaker, and the place to hook into is a connection's three methods
that touch the socket; the state is a deadline and a lock.
"""

import logging
import threading
import time
from typing import Any

from django.conf import settings
from redis.connection import Connection, ConnectionPool, SSLConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What a lost or hung Redis raises; redis-py wraps socket errors in these.
_FAILURES = (RedisConnectionError, RedisTimeoutError, OSError)


class CircuitOpenError(RedisConnectionError):
    """Raised instead of calling Redis while the breaker is open."""


class CircuitBreaker:
    """Closed, open until a deadline, then one probe at a time (per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open_until: float | None = None  # None: closed.

    @property
    def is_open(self) -> bool:
        return self._open_until is not None

    def before_call(self) -> None:
        """Raise ``CircuitOpenError`` unless this call may reach Redis."""
        if self._open_until is None:
            return
        with self._lock:
            now = time.monotonic()
            if self._open_until is None:
                return
            if now < self._open_until:
                raise CircuitOpenError("Redis circuit open: not calling Redis.")
            # This call is the probe: the others keep failing at once until
            # it ends or another cool-down passes.
            self._open_until = now + _cooldown()

    def succeeded(self) -> None:
        if self._open_until is None:
            return
        with self._lock:
            if self._open_until is not None:
                self._open_until = None
                logger.warning("Redis answers again: circuit closed")

    def failed(self, error: BaseException) -> None:
        if isinstance(error, CircuitOpenError):
            return
        with self._lock:
            was_closed = self._open_until is None
            self._open_until = time.monotonic() + _cooldown()
        if was_closed:
            logger.warning(
                "Redis unreachable (%s): circuit open, not calling it for %.1f s",
                type(error).__name__,
                _cooldown(),
            )

    def reset(self) -> None:
        """Close the breaker (tests, or a process that reconfigures its cache)."""
        with self._lock:
            self._open_until = None


def _cooldown() -> float:
    return float(getattr(settings, "REDIS_BREAKER_SECONDS", 5.0))


breaker = CircuitBreaker()


class _BreakerMixin:
    """Guard the connection's calls that touch the socket with ``breaker``."""

    def connect_check_health(self, *args: Any, **kwargs: Any) -> Any:
        return _guarded(super().connect_check_health, *args, **kwargs)  # type: ignore[misc]

    def send_packed_command(self, *args: Any, **kwargs: Any) -> Any:
        return _guarded(super().send_packed_command, *args, **kwargs)  # type: ignore[misc]

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        response = _guarded(super().read_response, *args, **kwargs)  # type: ignore[misc]
        breaker.succeeded()
        return response


# The guarded methods call one another (connecting sends the handshake and
# reads its reply): only the outermost asks the breaker, so that a probe is
# one call however many socket operations it takes.
_nesting = threading.local()


def _guarded(call: Any, *args: Any, **kwargs: Any) -> Any:
    depth = getattr(_nesting, "depth", 0)
    if depth == 0:
        breaker.before_call()
    _nesting.depth = depth + 1
    try:
        return call(*args, **kwargs)
    except _FAILURES as error:
        breaker.failed(error)
        raise
    finally:
        _nesting.depth = depth


class CircuitBreakerConnection(_BreakerMixin, Connection):
    """A TCP connection to Redis behind the breaker."""


class CircuitBreakerSSLConnection(_BreakerMixin, SSLConnection):
    """A TLS connection to Redis (``rediss://``) behind the breaker."""


class CircuitBreakerConnectionPool(ConnectionPool):
    """redis-py's pool, making its connections behind the breaker."""

    def __init__(
        self, connection_class: type[Connection] = Connection, **kwargs: Any
    ) -> None:
        if issubclass(connection_class, SSLConnection):
            connection_class = CircuitBreakerSSLConnection
        elif connection_class is Connection:
            connection_class = CircuitBreakerConnection
        super().__init__(connection_class=connection_class, **kwargs)
