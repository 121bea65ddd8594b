"""Caching of catalogue reads, with exact invalidation.

Each entry is stored with the version numbers it was computed at, and a read
fetches the entries together with the current versions in one round trip. A
write bumps the versions it affects once it has committed (the write seam,
``movies.signals``, calls ``invalidate_movies`` from ``transaction.on_commit``),
so no reader can be served an entry computed before it: such an
entry carries an old version and counts as a miss. Entries expire after
``CACHE_TIMEOUT`` (with jitter). When the cache is unreachable every read
below degrades to a miss and the data is computed from the database.

``CatalogueCache`` holds the tunables and the version bumps (with those
still to retry, ``movieratings.versions``); ``catalogue`` is the instance the
application uses, and the module-level ``invalidate_movies`` is the write
seam's entry point. It stores and returns plain data: what the data means is
``movies.reads``'s.
"""

import hashlib
import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict

from movieratings.versions import VersionBumps, bumps

logger = logging.getLogger(__name__)

T = TypeVar("T")

CATALOGUE_VERSION_KEY = "catalogue:version"
GLOBAL_MEAN_KEY = "catalogue:global-mean"
# Changes with the shape of the movie detail entry, so that a new release never
# reads an entry an older one stored.
DETAIL_FORMAT = 2


def movie_version_key(movie_id: int) -> str:
    """Return the key of the version of one movie's cached representations."""
    return f"movie:{movie_id}:version"


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


def list_key(name: str, *, origin: str, query: QueryDict) -> str:
    """Return the key of one page of a list, as one origin asks for it.

    A page's links are absolute, built from the scheme (which a proxy's
    ``X-Forwarded-Proto`` sets, see ``SECURE_PROXY_SSL_HEADER``) and the host,
    so both are part of the key.
    """
    return query_key(f"{name}:{origin}", query)


def _is_current(entry: Any, version: int | None) -> bool:
    return (
        version is not None
        and isinstance(entry, tuple)
        and len(entry) == 2
        and entry[0] == version
    )


@dataclass(frozen=True)
class _Read:
    # None where the cache could not give a version: nothing is served from or
    # stored in the cache for it.
    versions: list[int | None]
    entries: list[Any]


class CatalogueCache:
    """Versioned entries of the catalogue in Django's default cache.

    Its versions are bumped through ``bumps`` (``movieratings.versions``: a
    bump the cache did not take is retried, and nothing cached is served
    meanwhile); the application's instance shares the project's, which the
    per-user versions go through too. ``retry_seconds`` sets the retry of an
    instance of its own.

    When a hot entry is missing, one process recomputes it while the others
    wait for it (``fill_wait_seconds`` at most, polling every
    ``fill_poll_seconds``) instead of all reading the database at once; the
    right to recompute lapses after ``fill_lock_seconds``.
    """

    def __init__(
        self,
        *,
        timeout: int,
        fill_lock_seconds: int = 5,
        fill_wait_seconds: float = 0.5,
        fill_poll_seconds: float = 0.02,
        retry_seconds: float = 0.1,
        bumps: VersionBumps | None = None,
    ) -> None:
        self.timeout = timeout
        self.fill_lock_seconds = fill_lock_seconds
        self.fill_wait_seconds = fill_wait_seconds
        self.fill_poll_seconds = fill_poll_seconds
        self.bumps = bumps or VersionBumps(retry_seconds=retry_seconds)

    # --- Invalidation ----------------------------------------------------

    def invalidate_movies(self, movie_ids: Iterable[int]) -> None:
        """Forget cached data of these movies and of the catalogue as a whole."""
        for movie_id in movie_ids:
            self.bumps.bump(movie_version_key(movie_id))
        self.bumps.bump(CATALOGUE_VERSION_KEY)

    # --- Reads -----------------------------------------------------------

    def serves_cached(self) -> bool:
        """Whether this process may serve cached data: none of its
        invalidations is still waiting for the cache to answer."""
        return self.bumps.serves_cached()

    def catalogue_entry(self, key: str, compute: Callable[[], T]) -> T:
        """Return the entry under ``key`` derived from the whole catalogue (a
        list page, the genres), computing it on a miss: one round trip on a hit.
        """
        read = self._read([CATALOGUE_VERSION_KEY], [key])
        return self.get_or_compute(key, read.versions[0], compute, read.entries[0])

    def global_mean(self, compute: Callable[[], float | None]) -> float | None:
        """Return the global mean score, ``compute()`` and stored on a miss.

        Never waits for another process: C is computed in one query as cheap
        as waiting would be (or in one the caller runs anyway).
        """
        read = self._read([CATALOGUE_VERSION_KEY], [GLOBAL_MEAN_KEY])
        return self.get_or_compute(
            GLOBAL_MEAN_KEY, read.versions[0], compute, read.entries[0], wait=False
        )

    def movie_detail(self, movie_id: int) -> "MovieDetailRead":
        """Read one movie's detail and the global mean, in one round trip."""
        detail_key = f"movie:{movie_id}:detail:{DETAIL_FORMAT}"
        read = self._read(
            [movie_version_key(movie_id), CATALOGUE_VERSION_KEY],
            [detail_key, GLOBAL_MEAN_KEY],
        )
        return MovieDetailRead(self, detail_key, read)

    def _read(self, version_keys: Sequence[str], entry_keys: Sequence[str]) -> _Read:
        """Read the current versions and the stored entries in one round trip."""
        if not self.serves_cached():
            # This process knows of a write whose invalidation has not reached
            # the cache yet: nothing cached may be served before it does.
            return _Read(
                versions=[None] * len(version_keys), entries=[None] * len(entry_keys)
            )
        found = cache.get_many([*version_keys, *entry_keys])
        return _Read(
            versions=[
                int(found[key]) if key in found else self._new_version(key)
                for key in version_keys
            ],
            entries=[found.get(key) for key in entry_keys],
        )

    @staticmethod
    def _new_version(key: str) -> int | None:
        # Absent (new, expired or evicted): any fresh number differs from the
        # one stored entries carry.
        version = cache.get_or_set(key, time.time_ns(), timeout=None)
        return None if version is None else int(version)

    def _store(self, key: str, version: int, value: Any) -> None:
        """Store ``value`` computed at ``version``; jitter spreads the expiries."""
        timeout = int(self.timeout * random.uniform(0.9, 1.1))  # noqa: S311
        cache.set(key, (version, value), timeout=timeout)

    def get_or_compute(
        self,
        key: str,
        version: int | None,
        compute: Callable[[], T],
        entry: Any = None,
        *,
        wait: bool = True,
    ) -> T:
        """Return the value stored under ``key`` at ``version``; compute it on a
        miss, and store it.

        ``entry`` is what a read already found under ``key``, if anything. With
        ``wait``, a process that finds another computing the same version waits
        briefly for its result instead.
        """
        if version is None:  # The cache is unreachable.
            return compute()
        if _is_current(entry, version):
            return cast(T, entry[1])
        if not wait:
            value = compute()
            self._store(key, version, value)
            return value
        lock_key = f"{key}:{version}:fill"  # Per version: never wait on an old one.
        got_lock = cache.add(lock_key, 1, timeout=self.fill_lock_seconds)
        if got_lock is False:
            deadline = time.monotonic() + self.fill_wait_seconds
            while time.monotonic() < deadline:
                time.sleep(self.fill_poll_seconds)
                found = cache.get_many([key, lock_key])
                entry = found.get(key)
                if _is_current(entry, version):
                    return cast(T, entry[1])
                if lock_key not in found:
                    break  # The fill failed: nothing to wait for.
        try:
            value = compute()
            self._store(key, version, value)
        finally:
            if got_lock:
                cache.delete(lock_key)
        return value


class MovieDetailRead:
    """What the cache held for one movie's detail when it was read.

    Both versions (the movie's, the catalogue's) and both entries (the
    movie's detail, the global mean) come from the one round trip.
    """

    def __init__(self, catalogue: CatalogueCache, detail_key: str, read: _Read):
        self._catalogue = catalogue
        self._detail_key = detail_key
        self._read = read

    @property
    def detail(self) -> Any:
        """Return the movie's detail stored at its current version, or None."""
        entry = self._read.entries[0]
        return entry[1] if _is_current(entry, self._read.versions[0]) else None

    @property
    def has_global_mean(self) -> bool:
        return _is_current(self._read.entries[1], self._read.versions[1])

    def global_mean(self, compute: Callable[[], float | None]) -> float | None:
        """Return the global mean read, or ``compute()`` stored on a miss
        (without waiting, as ``CatalogueCache.global_mean``)."""
        return self._catalogue.get_or_compute(
            GLOBAL_MEAN_KEY,
            self._read.versions[1],
            compute,
            self._read.entries[1],
            wait=False,
        )

    def fill_detail(self, compute: Callable[[], T]) -> T:
        """Return the movie's detail computed here or by a concurrent fill."""
        return self._catalogue.get_or_compute(
            self._detail_key, self._read.versions[0], compute
        )


catalogue = CatalogueCache(timeout=settings.CACHE_TIMEOUT, bumps=bumps)


def invalidate_movies(movie_ids: Iterable[int]) -> None:
    """Forget cached data of these movies and of the catalogue as a whole."""
    catalogue.invalidate_movies(movie_ids)
