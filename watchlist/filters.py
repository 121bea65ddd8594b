"""Query parameters of the watchlist: the movies' genre filter and an ordering."""

from typing import Any

import django_filters
from django.db.models import F, OrderBy, QuerySet
from django_filters.constants import EMPTY_VALUES

from movies.filters import (
    ORDERING_FIELDS,
    AllGenresFilter,
    weighted_rating_expression,
)
from movies.selectors import min_votes
from watchlist.models import WatchlistEntry

# ``?ordering=movie__title`` sorts as the catalogue's ``?ordering=title`` does
# (its normalised title key once the catalogue has one): one definition.
TITLE_ORDER = f"movie__{ORDERING_FIELDS['title']}"


class WatchlistOrderingFilter(django_filters.OrderingFilter):
    """Order a watchlist; ties go to the latest addition, so pages are stable."""

    def filter(self, qs: QuerySet[Any], value: list[str] | None) -> QuerySet[Any]:
        if value in EMPTY_VALUES:
            return qs
        assert value is not None  # noqa: S101 (EMPTY_VALUES holds None)
        keys = [self._order_by(param) for param in value]
        ties = ["id"] if "added_at" in value else ["-added_at", "-id"]
        return qs.order_by(*keys, *ties)

    def _order_by(self, param: str) -> Any:
        if param == "movie__title":
            return TITLE_ORDER
        if param == "-weighted_rating":
            # Unrated movies last, as in the catalogue.
            rating = weighted_rating_expression(votes=min_votes(), movie="movie__")
            return OrderBy(rating, descending=True, nulls_last=True)
        return OrderBy(F("added_at"), descending=param.startswith("-"))


class WatchlistFilterSet(django_filters.FilterSet):
    genre = AllGenresFilter(
        field_name="movie__genres__slug",
        distinct=False,
        help_text="Genre slug; repeat (`?genre=a&genre=b`) or comma-separate "
        "(`?genre=a,b`) to require all of them. An unknown slug matches nothing.",
    )
    ordering = WatchlistOrderingFilter(
        fields={"added_at": "added_at"},
        choices=[
            ("-added_at", "Latest additions first"),
            ("added_at", "Earliest additions first"),
            ("movie__title", "Movie title A to Z"),
            ("-weighted_rating", "Best weighted rating first"),
        ],
        help_text="Sort order: `-added_at` (default), `added_at`, `movie__title` "
        "(as the catalogue's title order) or `-weighted_rating` (unrated movies "
        "last).",
    )

    class Meta:
        model = WatchlistEntry
        fields = ["genre", "ordering"]
