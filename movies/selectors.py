"""Reads on the catalogue that carry meaning beyond a plain query."""

from typing import Any, TypeVar

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

from movies import cache
from movies.models import Movie

_M = TypeVar("_M", bound=Model)

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


def with_global_mean(rows: QuerySet[_M, Any]) -> QuerySet[_M, Any]:
    """Give each row C as ``GLOBAL_MEAN_ANNOTATION``, read in the same query.

    The rows are movies, or anything listed with a movie summary (ratings,
    watchlist and diary entries): C is the same for every row.
    """
    return rows.annotate(**{GLOBAL_MEAN_ANNOTATION: global_mean_subquery()})


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


def _caller_state(row: Any) -> tuple[dict[str, Any] | None, bool]:
    in_watchlist = row["caller_watchlist_id"] is not None
    if row["caller_rating_id"] is None:
        return None, in_watchlist
    rating = {name: row[f"caller_rating_{name}"] for name in MY_RATING_FIELDS}
    return rating, in_watchlist


def annotated_caller_state(movie: Movie) -> tuple[dict[str, Any] | None, bool]:
    """Return (rating or None, in_watchlist) that ``with_caller_state`` joined."""
    return _caller_state(
        {
            name: getattr(movie, name, None)
            for name in (
                "caller_watchlist_id",
                *(f"caller_rating_{name}" for name in MY_RATING_FIELDS),
            )
        }
    )


def global_mean_score() -> float | None:
    """Return C, the mean of every rating in the system, from stored totals.

    Cached until the next rating or catalogue write.
    """
    return cache.catalogue.global_mean(global_mean_from_totals)


def caller_state_of(
    *, movie_id: int, user_id: int
) -> tuple[dict[str, Any] | None, bool]:
    """Return a user's ``{id, score, review, updated_at}`` of a movie (or None)
    and whether the movie is on their watchlist, in one query."""
    columns = [
        "caller_watchlist_id",
        *(f"caller_rating_{name}" for name in MY_RATING_FIELDS),
    ]
    rows = with_caller_state(
        Movie.objects.filter(pk=movie_id).order_by(), user_id=user_id
    ).values(*columns)
    row = next(iter(rows), None)
    return (None, False) if row is None else _caller_state(row)


def min_votes() -> int:
    """Return m, the votes a movie needs before its own mean dominates."""
    return int(settings.RATINGS_MIN_VOTES)
