"""Caching of catalogue reads, with exact invalidation.

Keys embed version numbers. A write bumps the versions it affects in
``transaction.on_commit``, so once it has committed no reader can be served an
entry computed before it: an entry computed from the old data is stored under
the old version, which nobody asks for any more. Entries expire after
``CACHE_TIMEOUT`` (with jitter). When the cache is unreachable every call below
degrades to a miss and the data is computed from the database.
"""

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.response import Response

logger = logging.getLogger(__name__)

T = TypeVar("T")

CATALOGUE_VERSION_KEY = "catalogue:version"
# How long one process may hold the right to recompute a missing entry, and how
# long the others wait for it before computing it themselves.
_FILL_LOCK_SECONDS = 5
_FILL_WAIT_SECONDS = 0.5
_FILL_POLL_SECONDS = 0.02


# Version bumps that failed because the cache was unreachable, retried by this
# process before it next reads a version: once the cache answers again the
# entries written before the failed bump are abandoned.
_pending_bumps: set[str] = set()
_pending_lock = threading.Lock()


def _try_bump(key: str) -> bool:
    try:
        # django-redis answers None instead of raising while Redis is down.
        return cache.incr(key) is not None
    except ValueError:
        # Absent (expired or evicted): any fresh number differs from the old one.
        cache.set(key, time.time_ns(), timeout=None)
        return True


def _bump(key: str) -> None:
    if not _try_bump(key):
        logger.warning("Cache unreachable: invalidation of %s will be retried", key)
        with _pending_lock:
            _pending_bumps.add(key)


def _retry_pending_bumps() -> None:
    if not _pending_bumps:
        return
    with _pending_lock:
        for key in sorted(_pending_bumps):
            if _try_bump(key):
                _pending_bumps.discard(key)


def _versions(*keys: str) -> list[int]:
    """Return the numbers of these version keys, in one round trip if all exist."""
    _retry_pending_bumps()
    found = cache.get_many(keys)
    return [
        int(found[key])
        if key in found
        else int(cache.get_or_set(key, time.time_ns(), timeout=None) or 0)
        for key in keys
    ]


def _movie_version_key(movie_id: int) -> str:
    return f"movie:{movie_id}:version"


def _global_mean_key(catalogue_version: int) -> str:
    return f"catalogue:{catalogue_version}:global-mean"


def catalogue_version() -> int:
    """Return the version of everything derived from the whole catalogue."""
    return _versions(CATALOGUE_VERSION_KEY)[0]


def movie_version(movie_id: int) -> int:
    """Return the version of one movie's cached representations."""
    return _versions(_movie_version_key(movie_id))[0]


def invalidate_movies(movie_ids: Iterable[int]) -> None:
    """Forget cached data of these movies and of the catalogue as a whole."""
    for movie_id in movie_ids:
        _bump(_movie_version_key(movie_id))
    _bump(CATALOGUE_VERSION_KEY)


def invalidate_catalogue() -> None:
    """Forget cached lists, genres and the global mean (not single movies)."""
    _bump(CATALOGUE_VERSION_KEY)


def query_key(prefix: str, params: Iterable[tuple[str, str]]) -> str:
    """Return a short, stable key for a query: same parameters, same key."""
    canonical = "&".join(f"{k}={v}" for k, v in sorted(params))
    return f"{prefix}:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


def cache_set(key: str, value: Any) -> None:
    """Store ``value``; jitter spreads the expiry of entries filled together."""
    timeout = int(settings.CACHE_TIMEOUT * random.uniform(0.9, 1.1))  # noqa: S311
    cache.set(key, value, timeout=timeout)


def get_or_compute(key: str, compute: Callable[[], T]) -> T:
    """Return the cached value of ``key``, computing and storing it on a miss.

    When a hot entry is missing, one process recomputes it while the others
    wait briefly for its result instead of all hitting the database at once.
    """
    value = cache.get(key)
    if value is not None:
        return value
    lock_key = f"{key}:fill"
    got_lock = cache.add(lock_key, 1, timeout=_FILL_LOCK_SECONDS)
    if got_lock is False:
        deadline = time.monotonic() + _FILL_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(_FILL_POLL_SECONDS)
            value = cache.get(key)
            if value is not None:
                return value
    value = compute()
    cache_set(key, value)
    if got_lock:
        cache.delete(lock_key)
    return value


def cached_list(
    view: Any, request: Any, name: str, compute: Callable[[Request], Response]
) -> Response:
    """Serve a catalogue list page from the cache, computing it on a miss.

    Lists hold no per-caller data, so one entry serves everyone asking the
    same query on the same host (the pagination links are absolute).
    """
    params = [(k, v) for k, values in request.query_params.lists() for v in values]
    key = query_key(f"{name}:{catalogue_version()}:{request.get_host()}", params)
    data = get_or_compute(key, lambda: compute(request).data)
    return Response(data)


def cached_global_mean(compute: Callable[[], float | None]) -> float | None:
    """Return the global mean score, cached per catalogue version."""
    key = _global_mean_key(catalogue_version())
    # A sentinel keeps "no ratings yet" (None) cacheable.
    value = get_or_compute(key, lambda: {"mean": compute()})
    return value["mean"]


def cached_movie_detail(
    movie_id: int,
    *,
    detail: Callable[[], T],
    is_current: Callable[[T], bool],
    global_mean: Callable[[], float | None],
) -> tuple[T, float | None]:
    """Return a movie's cached detail entry and the global mean score.

    What a movie detail needs from the cache takes two round trips: both
    versions at once, then both entries at once. An entry that ``is_current``
    rejects (an invalidation missed while the cache was unreachable) is
    recomputed and replaced.
    """
    movie_v, catalogue_v = _versions(
        _movie_version_key(movie_id), CATALOGUE_VERSION_KEY
    )
    detail_key, mean_key = (
        f"movie:{movie_id}:{movie_v}:detail",
        _global_mean_key(catalogue_v),
    )
    found = cache.get_many([detail_key, mean_key])
    mean = found.get(mean_key) or get_or_compute(
        mean_key, lambda: {"mean": global_mean()}
    )
    entry: T | None = found.get(detail_key)
    if entry is None:
        entry = get_or_compute(detail_key, detail)
    if not is_current(entry):
        entry = detail()
        cache_set(detail_key, entry)
    return entry, mean["mean"]
