"""Version numbers in the shared cache, bumped once a write commits.

A cached entry is stored with the version numbers it was computed at and
served only while they are still current (``movies.cache``,
``movieratings.response_cache``): a write makes every entry computed before it
a miss by bumping the versions it affects, once its transaction commits.

``once_on_commit`` gathers the ids a transaction announces, however many
writes announce them, and acts on them together once it commits (at once
outside a transaction; a savepoint rolled back takes its ids with it).

``VersionBumps`` bumps keys and keeps those it could not bump, because the
cache was unreachable, as pending: a process that has any pending serves
nothing cached (``serves_cached``) and retries them before each read and,
while it has no requests to serve, every ``retry_seconds`` in the
background. Once the cache answers again, the entries written before the
failed bump are abandoned within that time, whichever process reads them.
``bumps`` is the application's instance.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


class VersionBumps:
    """Bump version keys; retry those the cache did not take (see above)."""

    def __init__(self, *, retry_seconds: float = 0.1) -> None:
        self.retry_seconds = retry_seconds
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._retry_timer: threading.Timer | None = None

    def bump(self, key: str) -> None:
        """Give ``key`` a new version, now or, if the cache fails, by retry."""
        if not self._try_bump(key):
            logger.warning("Cache unreachable: invalidation of %s will be retried", key)
            with self._lock:
                self._pending.add(key)
                self._schedule_retry()

    def serves_cached(self) -> bool:
        """Whether this process may serve cached data: none of its bumps is
        still waiting for the cache to answer."""
        # A request never waits for a retry under way: its bumps are pending.
        if self._pending and self._lock.acquire(blocking=False):
            try:
                self._retry_locked()
            finally:
                self._lock.release()
        return not self._pending

    def reset(self) -> None:
        """Forget the pending bumps (tests, or a process that reconfigures its
        cache): no retry reaches the cache afterwards."""
        with self._lock:
            self._pending.clear()

    @staticmethod
    def _try_bump(key: str) -> bool:
        try:
            # django-redis answers None instead of raising while Redis is down.
            return cache.incr(key) is not None
        except ValueError:
            # Absent (expired or evicted): any fresh number differs from the old.
            cache.set(key, time.time_ns(), timeout=None)
            return True

    def _schedule_retry(self) -> None:
        """Retry the pending bumps soon in the background (``_lock`` held)."""
        if self._retry_timer is None:
            self._retry_timer = threading.Timer(
                self.retry_seconds, self._retry_in_background
            )
            self._retry_timer.daemon = True
            self._retry_timer.start()

    def _retry_in_background(self) -> None:
        with self._lock:
            self._retry_timer = None
            self._retry_locked()
            if self._pending:
                self._schedule_retry()

    def _retry_locked(self) -> None:
        for key in sorted(self._pending):
            if self._try_bump(key):
                self._pending.discard(key)


bumps = VersionBumps()


class _Batch:
    """The ids one transaction announced for ``act``, acted on once it commits."""

    def __init__(self, act: Callable[[list[int]], None]) -> None:
        self.act = act
        self.ids: set[int] = set()

    def run(self) -> None:
        self.act(sorted(self.ids))


def once_on_commit(
    act: Callable[[list[int]], None], ids: Iterable[int], *, using: str | None
) -> None:
    """Call ``act`` with every id announced for it once this transaction commits.

    Any number of calls in one transaction make one call of ``act``, with all
    the ids they name (none: ``act([])``).
    """
    # The transaction's own list of callbacks holds its batch: a savepoint
    # rolled back takes the callbacks it registered with it, and so the ids
    # collected there, and the next write registers anew.
    for entry in transaction.get_connection(using).run_on_commit:
        batch = getattr(entry[1], "__self__", None)
        if isinstance(batch, _Batch) and batch.act is act:
            batch.ids.update(ids)
            return
    batch = _Batch(act)
    batch.ids.update(ids)
    transaction.on_commit(batch.run, using=using)
