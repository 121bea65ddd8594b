"""Reads on the catalogue that carry meaning beyond a plain query."""

from django.conf import settings
from django.db.models import Sum

from movies.models import Movie


def global_mean_score() -> float | None:
    """Return C, the mean of every rating in the system, from stored totals."""
    totals = Movie.objects.aggregate(count=Sum("rating_count"), total=Sum("rating_sum"))
    if not totals["count"]:
        return None
    return float(totals["total"]) / totals["count"]


def min_votes() -> int:
    """Return m, the votes a movie needs before its own mean dominates."""
    return int(settings.RATINGS_MIN_VOTES)
