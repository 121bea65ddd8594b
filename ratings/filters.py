"""Query parameters of the rating lists; an invalid value is a 400."""

from collections.abc import Sequence
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.constants import EMPTY_VALUES
from drf_spectacular.utils import extend_schema_field

from movieratings.filters import RepeatableCSVWidget
from movies.filters import StrictOrderingFilter
from ratings.models import Rating
from ratings.serializers import MAX_ID

MIN_SCORE, MAX_SCORE = 0.5, 5.0


def _document(filter_: django_filters.Filter, schema: dict[str, Any]) -> None:
    """Give ``filter_`` an exact schema, keeping its help text as description."""
    extend_schema_field({**schema, "description": filter_.extra["help_text"]})(filter_)


class IdFilter(django_filters.NumberFilter):
    """An integer id >= 1; ``1.5`` or ``abc`` is a 400, an unknown id no match."""

    field_class = forms.IntegerField

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)
        _document(self, {"type": "integer", "minimum": 1})


class ScoreBoundFilter(django_filters.NumberFilter):
    """A score bound, any number from 0.5 to 5."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            field_name="score", min_value=MIN_SCORE, max_value=MAX_SCORE, **kwargs
        )
        _document(self, {"type": "number", "minimum": MIN_SCORE, "maximum": MAX_SCORE})


class StableOrderingFilter(StrictOrderingFilter):
    """Ordering over exactly ``choices`` with a total order.

    Ties go to the most recently changed rating, then the newest id; sorting by
    ``updated_at`` ascending breaks its ties by the oldest id instead.
    """

    tie_break: Sequence[str] = ("-updated_at", "-id")
    # Parameters that sort by another column than their name.
    columns = {"movie__title": "movie__title_key"}  # movies.titles' order

    def __init__(self, *, choices: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        params = (param.lstrip("-") for param, _ in choices)
        fields = {self.columns.get(param, param): param for param in params}
        # ?ordering=a,b and ?ordering=a&ordering=b alike.
        kwargs.setdefault("widget", RepeatableCSVWidget)
        super().__init__(fields=fields, choices=choices, **kwargs)

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value in EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        used = {field.lstrip("-") for field in ordering}
        ties = [field for field in self.tie_break if field.lstrip("-") not in used]
        if "updated_at" in ordering:
            ties = ["id"]
        return qs.order_by(*ordering, *ties)


class RatingFilterSet(django_filters.FilterSet):
    user = IdFilter(
        field_name="user_id",
        help_text="Only ratings by this user id. The list of a caller who is not "
        "an admin holds only their own ratings, so for them this can only "
        "narrow it (another user's id gives an empty list).",
    )
    movie = IdFilter(
        field_name="movie_id",
        help_text="Only ratings of this movie id (for callers who are not admins: "
        "whether you rated it).",
    )

    class Meta:
        model = Rating
        fields = ["user", "movie"]


class MovieRatingFilterSet(django_filters.FilterSet):
    ordering = StableOrderingFilter(
        choices=[
            ("-updated_at", "Most recently changed first"),
            ("score", "Lowest score first"),
            ("-score", "Highest score first"),
        ],
        help_text="Sort order: `-updated_at` (default), `score` or `-score`; "
        "ties go to the most recently changed rating.",
    )

    class Meta:
        model = Rating
        fields = ["ordering"]


class ProfileRatingFilterSet(django_filters.FilterSet):
    min_score = ScoreBoundFilter(
        lookup_expr="gte", help_text="Only scores >= this number (0.5 to 5)."
    )
    max_score = ScoreBoundFilter(
        lookup_expr="lte", help_text="Only scores <= this number (0.5 to 5)."
    )
    ordering = StableOrderingFilter(
        choices=[
            ("updated_at", "Least recently changed first"),
            ("-updated_at", "Most recently changed first"),
            ("score", "Lowest score first"),
            ("-score", "Highest score first"),
            ("movie__title", "Movie title A to Z"),
        ],
        help_text="Sort order: `updated_at`, `-updated_at` (default), `score`, "
        "`-score` or `movie__title`; ties go to the most recently changed rating.",
    )

    class Meta:
        model = Rating
        fields = ["min_score", "max_score", "ordering"]
