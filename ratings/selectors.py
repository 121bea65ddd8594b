"""Reads of ratings shaped for the API: each list costs a fixed number of queries."""

from django.db.models import Count, Prefetch, QuerySet

from movies.selectors import with_global_mean
from ratings.models import Rating
from users.models import User


def ratings_with_authors() -> QuerySet[Rating]:
    """Return ratings whose ``user`` carries ``ratings_count`` (one extra query)."""
    authors = User.objects.annotate(ratings_count=Count("ratings"))
    return Rating.objects.prefetch_related(Prefetch("user", queryset=authors))


def ratings_count(*, user_id: int) -> int:
    """Return how many ratings a user has given."""
    return Rating.objects.filter(user_id=user_id).count()


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
