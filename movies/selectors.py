"""Reads on the catalogue that carry meaning beyond a plain query."""

from typing import Any

from django.conf import settings
from django.db.models import Sum

from movies.cache import cached_global_mean
from movies.models import Movie


def global_mean_from_totals() -> float | None:
    """Return C computed from the movies' stored totals (uncached)."""
    totals = Movie.objects.aggregate(count=Sum("rating_count"), total=Sum("rating_sum"))
    if not totals["count"]:
        return None
    return float(totals["total"]) / totals["count"]


def global_mean_score() -> float | None:
    """Return C, the mean of every rating in the system, from stored totals.

    Cached until the next rating or catalogue write.
    """
    return cached_global_mean(global_mean_from_totals)


def rating_of(*, movie_id: int, user_id: int) -> dict[str, Any] | None:
    """Return ``{id, score, review, updated_at}`` of a user's rating, or None."""
    rating = (
        Movie(pk=movie_id)
        .ratings.filter(user_id=user_id)
        .order_by()
        .values("id", "score", "review", "updated_at")
        .first()
    )
    return None if rating is None else dict(rating)


def min_votes() -> int:
    """Return m, the votes a movie needs before its own mean dominates."""
    return int(settings.RATINGS_MIN_VOTES)
