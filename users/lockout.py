"""Refuse sign-ins for a while after repeated failures (brute-force guard).

Failures are counted per account (the normalised email) and per client
address in the cache, within a sliding window of ``LOGIN_LOCKOUT_SECONDS``.
A successful sign-in clears the account's counter.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"login-failures:{kind}:{digest}"


def _keys(*, email: str, client: str) -> list[tuple[str, int]]:
    return [
        (
            _key("account", email.strip().lower()),
            settings.LOGIN_MAX_FAILURES_PER_ACCOUNT,
        ),
        (_key("client", client), settings.LOGIN_MAX_FAILURES_PER_CLIENT),
    ]


def login_locked_out(*, email: str, client: str) -> bool:
    """Return whether sign-ins for this account or from this client are refused."""
    counts = cache.get_many([key for key, _limit in _keys(email=email, client=client)])
    return any(
        counts.get(key, 0) >= limit for key, limit in _keys(email=email, client=client)
    )


def login_failed(*, email: str, client: str) -> None:
    """Count a failed sign-in for the account and the client."""
    for key, _limit in _keys(email=email, client=client):
        if cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)


def login_succeeded(*, email: str) -> None:
    """Forget the account's failures after a successful sign-in."""
    cache.delete(_key("account", email.strip().lower()))
