"""Reads on the catalogue that carry meaning beyond a plain query."""

from typing import Any

from django.conf import settings
from django.db.models import FloatField, IntegerField, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Cast, NullIf

from movies.cache import cached_global_mean
from movies.models import Movie


def _global_mean_query() -> QuerySet[Any, Any]:
    """C = Σ rating_sum / Σ rating_count over every movie (NULL if unrated)."""
    return (
        Movie.objects.order_by()
        .annotate(every_movie=Value(1, IntegerField()))  # One group, no GROUP BY.
        .values("every_movie")
        .annotate(
            mean=Cast(Sum("rating_sum"), FloatField())
            / Cast(NullIf(Sum("rating_count"), 0), FloatField())
        )
        .values("mean")
    )


def global_mean_from_totals() -> float | None:
    """Return C computed from the movies' stored totals (uncached)."""
    mean: float | None = _global_mean_query().get()["mean"]
    return mean


def global_mean_subquery() -> Subquery:
    """Return C as SQL, a sub-select to annotate other queries with.

    The database evaluates it once per query, so a catalogue page reads C
    together with its rows, from the same snapshot.
    """
    return Subquery(_global_mean_query(), output_field=FloatField())


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
