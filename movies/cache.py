"""Caching of catalogue reads, with exact invalidation.

Each entry is stored with the version numbers it was computed at, and a read
fetches the entries together with the current versions in one round trip. A
write bumps the versions it affects in ``transaction.on_commit``, so once it
has committed no reader can be served an entry computed before it: such an
entry carries an old version and counts as a miss. Entries expire after
``CACHE_TIMEOUT`` (with jitter). When the cache is unreachable every call below
degrades to a miss and the data is computed from the database.
"""

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import QueryDict
from rest_framework.request import Request
from rest_framework.response import Response

logger = logging.getLogger(__name__)

T = TypeVar("T")

CATALOGUE_VERSION_KEY = "catalogue:version"
GLOBAL_MEAN_KEY = "catalogue:global-mean"
# Changes with the shape of the movie detail entry, so that a new release never
# reads an entry an older one stored.
DETAIL_FORMAT = 2
# How long one process may hold the right to recompute a missing entry, and how
# long the others wait for it before computing it themselves.
_FILL_LOCK_SECONDS = 5
_FILL_WAIT_SECONDS = 0.5
_FILL_POLL_SECONDS = 0.02


# Version bumps that failed because the cache was unreachable. This process
# serves nothing cached while any is pending, and retries them before each
# cache read and, while it has no requests to serve, every
# _RETRY_SECONDS in the background: once the cache answers again the entries
# written before the failed bump are abandoned within that time, whichever
# process reads them.
_pending_bumps: set[str] = set()
_pending_lock = threading.Lock()
_RETRY_SECONDS = 0.1
_retry_timer: threading.Timer | None = None


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
            _schedule_retry()


def _schedule_retry() -> None:
    """Retry the pending bumps soon in the background (``_pending_lock`` held)."""
    global _retry_timer
    if _retry_timer is None:
        _retry_timer = threading.Timer(_RETRY_SECONDS, _retry_in_background)
        _retry_timer.daemon = True
        _retry_timer.start()


def _retry_in_background() -> None:
    global _retry_timer
    with _pending_lock:
        _retry_timer = None
        _retry_locked()
        if _pending_bumps:
            _schedule_retry()


def _retry_locked() -> None:
    for key in sorted(_pending_bumps):
        if _try_bump(key):
            _pending_bumps.discard(key)


def _retry_pending_bumps() -> None:
    # A request never waits for a retry under way: its bumps are pending.
    if _pending_bumps and _pending_lock.acquire(blocking=False):
        try:
            _retry_locked()
        finally:
            _pending_lock.release()


def serves_cached() -> bool:
    """Whether this process may serve cached data: no invalidation of its is
    still waiting for the cache to answer."""
    _retry_pending_bumps()
    return not _pending_bumps


@dataclass(frozen=True)
class _Read:
    # None where the cache could not give a version: nothing is served from or
    # stored in the cache for it.
    versions: list[int | None]
    entries: list[Any]


def _read(version_keys: Sequence[str], entry_keys: Sequence[str]) -> _Read:
    """Read the current versions and the stored entries in one round trip."""
    _retry_pending_bumps()
    if _pending_bumps:
        # This process knows of a write whose invalidation has not reached
        # the cache yet: nothing cached may be served before it does.
        return _Read(
            versions=[None] * len(version_keys), entries=[None] * len(entry_keys)
        )
    found = cache.get_many([*version_keys, *entry_keys])
    return _Read(
        versions=[
            int(found[key]) if key in found else _new_version(key)
            for key in version_keys
        ],
        entries=[found.get(key) for key in entry_keys],
    )


def _new_version(key: str) -> int | None:
    # Absent (new, expired or evicted): any fresh number differs from the one
    # stored entries carry.
    version = cache.get_or_set(key, time.time_ns(), timeout=None)
    return None if version is None else int(version)


def _movie_version_key(movie_id: int) -> str:
    return f"movie:{movie_id}:version"


def catalogue_version() -> int | None:
    """Return the version of everything derived from the whole catalogue."""
    return _read([CATALOGUE_VERSION_KEY], []).versions[0]


def movie_version(movie_id: int) -> int | None:
    """Return the version of one movie's cached representations."""
    return _read([_movie_version_key(movie_id)], []).versions[0]


def invalidate_movies(movie_ids: Iterable[int]) -> None:
    """Forget cached data of these movies and of the catalogue as a whole."""
    for movie_id in movie_ids:
        _bump(_movie_version_key(movie_id))
    _bump(CATALOGUE_VERSION_KEY)


def invalidate_movies_on_commit(movie_ids: Iterable[int]) -> None:
    """Call ``invalidate_movies`` once the current transaction has committed."""
    ids = sorted(set(movie_ids))
    transaction.on_commit(lambda: invalidate_movies(ids))


def invalidate_catalogue() -> None:
    """Forget cached lists, genres and the global mean (not single movies)."""
    _bump(CATALOGUE_VERSION_KEY)


def query_key(prefix: str, query: QueryDict) -> str:
    """Return a short key for a query: the same key only for the same query.

    ``QueryDict.urlencode()`` escapes every name and value, so no value can
    pass for another parameter; names are sorted, and each name's values keep
    the order the request gave them (a view reads the last one, or all in
    turn).
    """
    canonical = QueryDict(mutable=True)
    for name in sorted(query):
        canonical.setlist(name, query.getlist(name))
    digest = hashlib.sha256(canonical.urlencode().encode()).hexdigest()
    return f"{prefix}:{digest[:32]}"


def _store(key: str, version: int, value: Any) -> None:
    """Store ``value`` computed at ``version``; jitter spreads the expiries."""
    timeout = int(settings.CACHE_TIMEOUT * random.uniform(0.9, 1.1))  # noqa: S311
    cache.set(key, (version, value), timeout=timeout)


def _is_current(entry: Any, version: int) -> bool:
    return isinstance(entry, tuple) and len(entry) == 2 and entry[0] == version


def get_or_compute(
    key: str, version: int | None, compute: Callable[[], T], entry: Any = None
) -> T:
    """Return the value stored under ``key`` at ``version``; compute it on a miss.

    ``entry`` is what a read already found under ``key``, if anything. When a
    hot entry is missing, one process recomputes it while the others wait
    briefly for its result instead of all hitting the database at once.
    """
    if version is None:  # The cache is unreachable.
        return compute()
    if _is_current(entry, version):
        return cast(T, entry[1])
    lock_key = f"{key}:{version}:fill"  # Per version: never wait on an old one.
    got_lock = cache.add(lock_key, 1, timeout=_FILL_LOCK_SECONDS)
    if got_lock is False:
        deadline = time.monotonic() + _FILL_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(_FILL_POLL_SECONDS)
            found = cache.get_many([key, lock_key])
            entry = found.get(key)
            if _is_current(entry, version):
                return cast(T, entry[1])
            if lock_key not in found:
                break  # The fill failed: nothing to wait for.
    try:
        value = compute()
        _store(key, version, value)
    finally:
        if got_lock:
            cache.delete(lock_key)
    return value


def cached_list(
    view: Any, request: Any, name: str, compute: Callable[[Request], Response]
) -> Response:
    """Serve a catalogue list page from the cache, computing it on a miss.

    Lists hold no per-caller data, so one entry serves everyone asking the
    same query of the same origin: the pagination links are absolute, built
    from the scheme (which a proxy's ``X-Forwarded-Proto`` sets, see
    ``SECURE_PROXY_SSL_HEADER``) and the host, so both are part of the key.
    """
    origin = request.build_absolute_uri("/")
    key = query_key(f"{name}:{origin}", request.query_params)
    read = _read([CATALOGUE_VERSION_KEY], [key])
    data = get_or_compute(
        key, read.versions[0], lambda: compute(request).data, read.entries[0]
    )
    return Response(data)


def cached_at_catalogue_version(key: str, compute: Callable[[], T]) -> T:
    """Return what ``compute()`` gives, cached under ``key`` until the next
    catalogue or rating write (one round trip on a hit).

    For data derived from the catalogue and its ratings as a whole: any
    committed write to a movie, a genre or a rating changes the version.
    """
    read = _read([CATALOGUE_VERSION_KEY], [key])
    return get_or_compute(key, read.versions[0], compute, read.entries[0])


def cached_global_mean(compute: Callable[[], float | None]) -> float | None:
    """Return the global mean score, cached per catalogue version."""
    return cached_at_catalogue_version(GLOBAL_MEAN_KEY, compute)


class MovieDetailCache:
    """What the cache holds for one movie's detail, read in one round trip.

    Both versions (the movie's, the catalogue's) and both entries (the
    movie's detail, the global mean) are read together.
    """

    def __init__(self, movie_id: int) -> None:
        self._detail_key = f"movie:{movie_id}:detail:{DETAIL_FORMAT}"
        self._read = _read(
            [_movie_version_key(movie_id), CATALOGUE_VERSION_KEY],
            [self._detail_key, GLOBAL_MEAN_KEY],
        )

    @property
    def has_global_mean(self) -> bool:
        version = self._read.versions[1]
        return version is not None and _is_current(self._read.entries[1], version)

    def global_mean(self, compute: Callable[[], float | None]) -> float | None:
        """Return the cached global mean, or ``compute()`` stored on a miss.

        Unlike ``get_or_compute`` this never waits for another process: the
        caller computes C in a query it runs anyway (the movie's row) or in
        one as cheap as waiting would be.
        """
        if self.has_global_mean:
            return cast(float | None, self._read.entries[1][1])
        value = compute()
        version = self._read.versions[1]
        if version is not None:
            _store(GLOBAL_MEAN_KEY, version, value)
        return value

    @property
    def detail(self) -> Any:
        """Return the movie's detail stored at its current version, or None."""
        version, entry = self._read.versions[0], self._read.entries[0]
        if version is None or not _is_current(entry, version):
            return None
        return entry[1]

    def fill_detail(self, compute: Callable[[], T]) -> T:
        """Return the movie's detail computed here or by a concurrent fill."""
        return get_or_compute(self._detail_key, self._read.versions[0], compute)
