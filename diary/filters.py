"""Query parameters of the diary; an invalid value is a 400."""

import django_filters

from diary.models import DiaryEntry
from movies.filters import IntegerFilter
from ratings.filters import IdFilter


class DiaryFilterSet(django_filters.FilterSet):
    year = IntegerFilter(
        field_name="watched_on",
        lookup_expr="year",
        min_value=1,
        max_value=9999,
        help_text="Only viewings in this year.",
    )
    movie = IdFilter(field_name="movie_id", help_text="Only viewings of this film id.")

    class Meta:
        model = DiaryEntry
        fields = ["year", "movie"]
