"""Cache keys of the catalogue and their invalidation.

Readers build keys from version numbers; a write bumps the versions it affects
(in ``transaction.on_commit``), so no reader sees an entry from before it.
"""

from collections.abc import Iterable

from django.core.cache import cache

CATALOGUE_VERSION_KEY = "catalogue:version"


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 2, timeout=None)


def catalogue_version() -> int:
    """Return the version of everything derived from the whole catalogue."""
    return int(cache.get_or_set(CATALOGUE_VERSION_KEY, 1, timeout=None) or 1)


def movie_version(movie_id: int) -> int:
    """Return the version of one movie's cached representations."""
    return int(cache.get_or_set(f"movie:{movie_id}:version", 1, timeout=None) or 1)


def invalidate_movies(movie_ids: Iterable[int]) -> None:
    """Forget cached data of these movies and of the catalogue as a whole."""
    for movie_id in movie_ids:
        _bump(f"movie:{movie_id}:version")
    _bump(CATALOGUE_VERSION_KEY)
