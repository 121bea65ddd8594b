"""A user's taste profile, aggregated in SQL: a fixed number of queries.

Four queries whatever the number of ratings: the totals (count, mean,
distribution and the mean difference from each film's average in one
aggregate), the decades, the genres, and the watchlist's size.
"""

from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Q,
)
from django.db.models.functions import Cast

from movies.models import SCORES, distribution_field, score_key
from ratings.models import Rating
from users.models import User
from watchlist.selectors import watchlist_count

TOP_GENRES = 10


def _rounded(value: float | Decimal | None) -> float | None:
    return None if value is None else round(float(value), 2)


def taste_profile(*, user: User) -> dict[str, Any]:
    """Return ``user``'s taste profile as the API shows it.

    Averages are rounded to 2 decimals and None where nothing is rated.
    ``versus_community`` is the mean of (score - the film's average) over the
    user's ratings: negative for a harsher rater than most.
    """
    ratings = Rating.objects.filter(user_id=user.pk).order_by()
    totals = ratings.aggregate(
        ratings_count=Count("id"),
        average_score=Avg("score"),
        versus_community=Avg(
            Cast("score", FloatField()) - F("movie__rating_average"),
            output_field=FloatField(),
        ),
        **{
            distribution_field(score): Count("id", filter=Q(score=score))
            for score in SCORES
        },
    )
    decade = ExpressionWrapper(F("movie__year") / 10 * 10, output_field=IntegerField())
    decades = (
        ratings.filter(movie__year__isnull=False)
        .annotate(decade=decade)
        .values("decade")
        .annotate(count=Count("id"), average_score=Avg("score"))
        .order_by("decade")
    )
    genres = (
        ratings.filter(movie__genres__isnull=False)
        .values("movie__genres__id", "movie__genres__name", "movie__genres__slug")
        .annotate(count=Count("id"), average_score=Avg("score"))
        .order_by("-count", "movie__genres__name", "movie__genres__id")
    )[:TOP_GENRES]
    return {
        "ratings_count": totals["ratings_count"],
        "average_score": _rounded(totals["average_score"]),
        "score_distribution": {
            score_key(score): totals[distribution_field(score)] for score in SCORES
        },
        "by_decade": [
            {
                "decade": row["decade"],
                "count": row["count"],
                "average_score": _rounded(row["average_score"]),
            }
            for row in decades
        ],
        "by_genre": [
            {
                "genre": {
                    "id": row["movie__genres__id"],
                    "name": row["movie__genres__name"],
                    "slug": row["movie__genres__slug"],
                },
                "count": row["count"],
                "average_score": _rounded(row["average_score"]),
            }
            for row in genres
        ],
        "versus_community": _rounded(totals["versus_community"]),
        "watchlist_count": watchlist_count(user_id=user.pk),
    }
