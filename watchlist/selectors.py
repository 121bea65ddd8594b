"""Reads of watchlists: each list costs a fixed number of queries."""

from django.db.models import QuerySet

from movies.selectors import with_global_mean
from users.models import User
from watchlist.models import WatchlistEntry


def watchlist_of(*, user: User) -> QuerySet[WatchlistEntry]:
    """Return ``user``'s watchlist, latest additions first, with the movies.

    Each row carries C for the movies' weighted ratings (``with_global_mean``).
    """
    return with_global_mean(
        WatchlistEntry.objects.filter(user=user)
        .select_related("movie")
        .prefetch_related("movie__genres")
        .order_by("-added_at", "-id")
    )


def watchlist_count(*, user_id: int) -> int:
    """Return how many films are on a user's watchlist."""
    return WatchlistEntry.objects.filter(user_id=user_id).count()
