"""Reads of ratings shaped for the API: each list costs a fixed number of queries."""

from django.db.models import QuerySet

from movies.selectors import with_global_mean
from ratings.models import Rating
from users.models import User


def ratings_with_authors() -> QuerySet[Rating]:
    """Return ratings with their authors, read in the same query.

    An author's ``ratings_count`` is stored on the user row: nothing is counted.
    """
    return Rating.objects.select_related("user")


def profile_ratings(*, user: User) -> QuerySet[Rating]:
    """Return ``user``'s ratings, most recently changed first, with their movies.

    Each row carries C for the movies' weighted ratings (``with_global_mean``).
    """
    return with_global_mean(
        Rating.objects.filter(user=user)
        .select_related("movie")
        .prefetch_related("movie__genres")
        .order_by("-updated_at", "-id")
    )
