"""Query parameters of the diary; an invalid value is a 400."""

import django_filters
from drf_spectacular.utils import extend_schema_field

from diary.models import DiaryEntry
from movies.filters import IntegerFilter
from ratings.filters import IdFilter

_YEAR_HELP = "Only viewings in this year."


class DiaryFilterSet(django_filters.FilterSet):
    # A year of a date: the schema would otherwise type it as the date's.
    year = extend_schema_field(
        {"type": "integer", "minimum": 1, "maximum": 9999, "description": _YEAR_HELP}
    )(
        IntegerFilter(
            field_name="watched_on",
            lookup_expr="year",
            min_value=1,
            max_value=9999,
            help_text=_YEAR_HELP,
        )
    )
    movie = IdFilter(field_name="movie_id", help_text="Only viewings of this film id.")

    class Meta:
        model = DiaryEntry
        fields = ["year", "movie"]
