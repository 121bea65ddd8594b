"""Reads on the catalogue that carry meaning beyond a plain query.

Database reads only: what of them is cached, and how, is ``movies.reads``'s.
"""

from collections.abc import Sequence
from typing import Any, NamedTuple, TypeVar

from django.conf import settings
from django.db.models import (
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    Model,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, NullIf

from movies.models import Movie

_M = TypeVar("_M", bound=Model)

# Name of the annotation that carries C with each movie (with_global_mean).
GLOBAL_MEAN_ANNOTATION = "catalogue_global_mean"
# What a caller sees of their own rating of a movie.
MY_RATING_FIELDS = ("id", "score", "review", "updated_at")


class CallerState(NamedTuple):
    """A user's own view of one movie."""

    # {id, score, review, updated_at} of their rating, None if they have none.
    rating: dict[str, Any] | None
    in_watchlist: bool


ANONYMOUS = CallerState(rating=None, in_watchlist=False)


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


def with_global_mean(rows: QuerySet[_M, Any]) -> QuerySet[_M, Any]:
    """Give each row C as ``GLOBAL_MEAN_ANNOTATION``, read in the same query.

    The rows are movies, or anything listed with a movie summary (ratings,
    watchlist and diary entries): C is the same for every row. The database
    evaluates the sub-select once per query, so a page reads C together with
    its rows, from the same snapshot.
    """
    mean = Subquery(_global_mean_query(), output_field=FloatField())
    return rows.annotate(**{GLOBAL_MEAN_ANNOTATION: mean})


def global_mean_of(rows: Sequence[Any]) -> float | None:
    """Return C as rows read with ``with_global_mean`` carry it (None for none:
    without rows there is no weighted rating to compute)."""
    return getattr(rows[0], GLOBAL_MEAN_ANNOTATION) if rows else None


def with_caller_state(movies: QuerySet[Movie], *, user_id: int) -> QuerySet[Movie]:
    """Give each movie ``user_id``'s rating of it and whether it is on their
    watchlist, joined in the same query (one row each: both are unique per
    user and movie).

    The watchlist is a higher app: it is reached through the ORM relation it
    declares (``watchlist_entries``), never imported. ``annotated_caller_state``
    reads both back.
    """
    return movies.annotate(
        caller_rating=FilteredRelation(
            "ratings", condition=Q(ratings__user_id=user_id)
        ),
        caller_watchlist=FilteredRelation(
            "watchlist_entries", condition=Q(watchlist_entries__user_id=user_id)
        ),
        **{
            f"caller_rating_{name}": F(f"caller_rating__{name}")
            for name in MY_RATING_FIELDS
        },
        caller_watchlist_id=F("caller_watchlist__id"),
    )


def _caller_state(row: Any) -> CallerState:
    in_watchlist = row["caller_watchlist_id"] is not None
    if row["caller_rating_id"] is None:
        return CallerState(rating=None, in_watchlist=in_watchlist)
    rating = {name: row[f"caller_rating_{name}"] for name in MY_RATING_FIELDS}
    return CallerState(rating=rating, in_watchlist=in_watchlist)


def annotated_caller_state(movie: Movie) -> CallerState:
    """Return the caller's state of ``movie`` that ``with_caller_state`` joined."""
    return _caller_state(
        {
            name: getattr(movie, name, None)
            for name in (
                "caller_watchlist_id",
                *(f"caller_rating_{name}" for name in MY_RATING_FIELDS),
            )
        }
    )


def caller_state_of(*, movie_id: int, user_id: int) -> CallerState:
    """Return a user's rating of a movie and whether the movie is on their
    watchlist, in one query."""
    columns = [
        "caller_watchlist_id",
        *(f"caller_rating_{name}" for name in MY_RATING_FIELDS),
    ]
    rows = with_caller_state(
        Movie.objects.filter(pk=movie_id).order_by(), user_id=user_id
    ).values(*columns)
    row = next(iter(rows), None)
    return ANONYMOUS if row is None else _caller_state(row)


def min_votes() -> int:
    """Return m, the votes a movie needs before its own mean dominates."""
    return int(settings.RATINGS_MIN_VOTES)
