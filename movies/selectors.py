"""Reads on the catalogue that carry meaning beyond a plain query."""

from typing import Any

from django.conf import settings
from django.db.models import (
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, NullIf

from movies.cache import cached_global_mean
from movies.models import Movie

# Name of the annotation that carries C with each movie (with_global_mean).
GLOBAL_MEAN_ANNOTATION = "catalogue_global_mean"
# What a caller sees of their own rating of a movie.
MY_RATING_FIELDS = ("id", "score", "review", "updated_at")


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


def with_global_mean(movies: QuerySet[Movie, Any]) -> QuerySet[Movie, Any]:
    """Give each movie C as ``GLOBAL_MEAN_ANNOTATION``, read in the same query."""
    return movies.annotate(**{GLOBAL_MEAN_ANNOTATION: global_mean_subquery()})


def with_rating_of(movies: QuerySet[Movie], *, user_id: int) -> QuerySet[Movie]:
    """Give each movie ``user_id``'s rating of it, joined in the same query.

    ``annotated_rating`` reads it back.
    """
    return movies.annotate(
        caller_rating=FilteredRelation(
            "ratings", condition=Q(ratings__user_id=user_id)
        ),
        **{
            f"caller_rating_{name}": F(f"caller_rating__{name}")
            for name in MY_RATING_FIELDS
        },
    )


def annotated_rating(movie: Movie) -> dict[str, Any] | None:
    """Return the rating ``with_rating_of`` joined to ``movie``, or None."""
    if getattr(movie, "caller_rating_id", None) is None:
        return None
    return {name: getattr(movie, f"caller_rating_{name}") for name in MY_RATING_FIELDS}


def global_mean_score() -> float | None:
    """Return C, the mean of every rating in the system, from stored totals.

    Cached until the next rating or catalogue write.
    """
    return cached_global_mean(global_mean_from_totals)


def rating_of(*, movie_id: int, user_id: int) -> dict[str, Any] | None:
    """Return ``{id, score, review, updated_at}`` of a user's rating, or None."""
    ratings = (
        Movie(pk=movie_id)
        .ratings.filter(user_id=user_id)
        .order_by()
        .values(*MY_RATING_FIELDS)
    )
    # One rating per user and movie at most.
    return next(iter(ratings), None)


def min_votes() -> int:
    """Return m, the votes a movie needs before its own mean dominates."""
    return int(settings.RATINGS_MIN_VOTES)
