"""Writes on watchlists: add a film, take it off, add many from an import.

Each forgets what is cached for the list's owner once it commits
(``users.versions``).
"""

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import transaction

from movies.models import Movie
from users.models import User
from users.versions import user_data_changed
from watchlist.models import WatchlistEntry

# Rows per statement: well under SQLite's limit of bound parameters.
_BATCH = 500


@transaction.atomic
def watchlist_add(*, user: User, movie: Movie) -> tuple[WatchlistEntry, bool]:
    """Put ``movie`` on ``user``'s watchlist; return (entry, created).

    A film already there stays as it is, with its first ``added_at``.
    """
    entry, created = WatchlistEntry.objects.get_or_create(user=user, movie=movie)
    if created:
        user_data_changed([user.pk])
    entry.movie = movie  # get() loaded a fresh movie; keep the caller's.
    return entry, created


@transaction.atomic
def watchlist_remove(*, user: User, movie: Movie) -> None:
    """Take ``movie`` off ``user``'s watchlist.

    Raise ``WatchlistEntry.DoesNotExist`` if it is not there.
    """
    deleted, _ = WatchlistEntry.objects.filter(user=user, movie=movie).delete()
    if not deleted:
        raise WatchlistEntry.DoesNotExist("This movie is not on your watchlist.")
    user_data_changed([user.pk])


@transaction.atomic
def watchlist_add_many(
    *,
    user: User,
    movies: Iterable[Movie],
    added_at: Mapping[int, datetime] | None = None,
) -> int:
    """Put ``movies`` on ``user``'s watchlist; return how many were added.

    Films already there (or given twice) are skipped, so running it again
    adds nothing. ``added_at`` maps a movie id to the time it was added
    (an imported file's date); the others are added now.
    """
    dates = added_at or {}
    movie_ids = list(dict.fromkeys(movie.pk for movie in movies))
    present: set[int] = set()
    for start in range(0, len(movie_ids), _BATCH):
        present.update(
            WatchlistEntry.objects.filter(
                user=user, movie_id__in=movie_ids[start : start + _BATCH]
            ).values_list("movie_id", flat=True)
        )
    new = [
        WatchlistEntry(user=user, movie_id=movie_id, **_dated(dates.get(movie_id)))
        for movie_id in movie_ids
        if movie_id not in present
    ]
    # A concurrent add of the same film wins; this one is then not counted
    # by the database, but counted here: the file asked for it.
    WatchlistEntry.objects.bulk_create(new, batch_size=_BATCH, ignore_conflicts=True)
    if new:
        user_data_changed([user.pk])
    return len(new)


def _dated(added_at: datetime | None) -> dict[str, datetime]:
    return {} if added_at is None else {"added_at": added_at}


def watchlist_remove_rated(*, user_id: int, movie_ids: Iterable[int]) -> int:
    """Take films ``user_id`` has rated off their watchlist; return how many.

    Called inside the rating's transaction (see ``watchlist.signals``).
    """
    ids = list(movie_ids)
    deleted = 0
    for start in range(0, len(ids), _BATCH):
        count, _ = WatchlistEntry.objects.filter(
            user_id=user_id, movie_id__in=ids[start : start + _BATCH]
        ).delete()
        deleted += count
    if deleted:
        user_data_changed([user_id])
    return deleted
