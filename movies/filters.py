"""Query parameters of the movie list: filters and ordering."""

from typing import Any

import django_filters
from django import forms
from django.db.models import (
    Case,
    Count,
    Expression,
    F,
    FloatField,
    OrderBy,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, NullIf
from django_filters.constants import EMPTY_VALUES
from django_filters.fields import BaseCSVField

from movieratings.filters import RepeatableCSVWidget
from movies.models import Movie
from movies.search import movie_search
from movies.selectors import GLOBAL_MEAN_ANNOTATION, min_votes

# Bounds of the integer filters: beyond them no movie can match, and values
# that large are more likely mistakes than queries.
YEAR_FILTER_MIN, YEAR_FILTER_MAX = 0, 9999
COUNT_FILTER_MAX = 2**31 - 1


class IntegerFilter(django_filters.NumberFilter):
    """A whole-number filter: ``?year=1995``; ``?year=soon`` is a 400."""

    field_class = forms.IntegerField

    def get_max_validator(self) -> None:
        return None  # Each filter sets its own max_value.


class SlugListField(forms.Field):
    """Read a parameter given repeatedly and/or comma-separated as a slug list."""

    widget = forms.MultipleHiddenInput  # reads every value: QueryDict.getlist()

    def to_python(self, value: Any) -> list[str]:
        if value in EMPTY_VALUES:
            return []
        values = [value] if isinstance(value, str) else list(value)
        slugs = (part.strip() for item in values for part in str(item).split(","))
        return list(dict.fromkeys(slug for slug in slugs if slug))


class AllGenresFilter(django_filters.MultipleChoiceFilter):
    """Keep movies that have every one of the given genres.

    ``field_name`` is the path to the genres' slugs: ``genres__slug`` on
    movies, ``movie__genres__slug`` on rows that point at a movie.
    """

    field_class = SlugListField

    def filter(self, qs: QuerySet[Any], value: list[str]) -> QuerySet[Any]:
        if not value:
            return qs
        if any("\x00" in slug for slug in value):
            # No slug holds a NUL, so nothing matches: an unknown genre gives
            # an empty list, not an error (and PostgreSQL takes no NUL).
            return qs.none()
        movie = self.field_name.removesuffix("genres__slug")  # "" or "movie__"
        # One subquery however many genres: the movies whose genre links
        # cover all the slugs. A slug no genre has can never be covered.
        links = Movie.genres.through.objects.filter(genre__slug__in=value)
        covering = (
            links.values("movie_id")
            .annotate(matched=Count("genre_id"))
            .filter(**{"matched": len(value)})
            .values("movie_id")
        )
        return qs.filter(**{f"{movie}pk__in": covering})


# ``?ordering=`` parameter → how it sorts. Rating orderings put unrated movies
# last in both directions, as the API contract says ("Movies without ratings
# sort last for rating orderings in either direction"). That includes
# rating_count: ascending, 1, 2, 3, ... come first and 0 (unrated) last, so
# that "least rated" lists movies that have ratings at all; descending the
# rule changes nothing.
ORDERING_FIELDS = {
    "title": "title",
    "year": "year",
    "average_rating": "average_rating",
    "weighted_rating": "weighted_rating",
    "rating_count": "rating_count",
    "created_at": "created_at",
}


def weighted_rating_expression(*, votes: int, movie: str = "") -> Expression:
    """Return SQL for IMDb's weighted rating, NULL for unrated movies.

    ``(v/(v+m))·R + (m/(v+m))·C`` = ``(sum + m·C) / (v + m)``, over the stored
    aggregate columns and the queryset's C annotation: no aggregation over the
    ratings table. ``movie`` is the path to the movie (``"movie__"``) when
    the queryset's rows point at one.
    """
    estimate = (
        Cast(f"{movie}rating_sum", FloatField())
        + Value(float(votes)) * F(GLOBAL_MEAN_ANNOTATION)
    ) / (Cast(f"{movie}rating_count", FloatField()) + Value(float(votes)))
    return Case(
        When(**{f"{movie}rating_count": 0}, then=Value(None)),
        default=estimate,
        output_field=FloatField(),
    )


class SortKeysField(BaseCSVField):
    """The comma-separated keys of ``?ordering=``; an empty key is invalid.

    django-filter skips empty items as "not given", so ``?ordering=,`` or
    ``title,`` would reach the ordering code with keys it does not know. A
    wholly empty ``?ordering=`` still counts as absent.
    """

    default_error_messages = {
        "empty_key": "Sort keys must not be empty (check for a stray comma).",
    }

    def clean(self, value: Any) -> Any:
        if value and any(item in EMPTY_VALUES for item in value):
            raise forms.ValidationError(
                self.error_messages["empty_key"], code="empty_key"
            )
        return super().clean(value)


class StrictOrderingFilter(django_filters.OrderingFilter):
    """An ordering filter whose empty sort keys are a 400, for every list."""

    base_field_class = SortKeysField


class MovieOrderingFilter(StrictOrderingFilter):
    """Order movies; ties (and pages) are broken by id so pages are stable."""

    def filter(self, qs: QuerySet[Any], value: list[str] | None) -> QuerySet[Any]:
        if value in EMPTY_VALUES:
            return qs
        assert value is not None  # noqa: S101 (EMPTY_VALUES holds None)
        return qs.order_by(*(self._order_by(param) for param in value), "id")

    def _order_by(self, param: str) -> OrderBy:
        descending = param.startswith("-")
        name = ORDERING_FIELDS[param.lstrip("-")]
        expression: Any
        if name == "average_rating":
            expression = F("rating_average")  # stored and indexed, NULL if unrated
        elif name == "weighted_rating":
            expression = weighted_rating_expression(votes=min_votes())
        elif name == "rating_count":
            expression = NullIf("rating_count", Value(0))
        elif name == "title":
            # The stored normalize_title() key: case, accents and articles aside.
            return OrderBy(F("title_key"), descending=descending)
        else:
            return OrderBy(F(name), descending=descending)
        return OrderBy(expression, descending=descending, nulls_last=True)


class MovieFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=255,
        help_text="Find titles whatever their case, accents, punctuation and "
        "leading article, despite typos (`shawshenk`, `godfather, the`). Without "
        "`ordering` the results come by relevance: the exact title first, then "
        "titles starting with the query or having a word that does, then the "
        "closest spellings; ties go to the more rated film. A query of one or "
        "two characters matches title prefixes only; one that resembles no "
        "title gives an empty list.",
    )
    genre = AllGenresFilter(
        field_name="genres__slug",
        distinct=False,
        help_text="Genre slug; repeat (`?genre=a&genre=b`) or comma-separate "
        "(`?genre=a,b`) to require all of them. An unknown slug matches nothing.",
    )
    year = IntegerFilter(
        field_name="year",
        min_value=YEAR_FILTER_MIN,
        max_value=YEAR_FILTER_MAX,
        help_text="Released in this year.",
    )
    year_min = IntegerFilter(
        field_name="year",
        lookup_expr="gte",
        min_value=YEAR_FILTER_MIN,
        max_value=YEAR_FILTER_MAX,
        help_text="Released in this year or later.",
    )
    year_max = IntegerFilter(
        field_name="year",
        lookup_expr="lte",
        min_value=YEAR_FILTER_MIN,
        max_value=YEAR_FILTER_MAX,
        help_text="Released in this year or earlier.",
    )
    min_ratings = IntegerFilter(
        field_name="rating_count",
        lookup_expr="gte",
        min_value=0,
        max_value=COUNT_FILTER_MAX,
        help_text="At least this many ratings.",
    )
    ordering = MovieOrderingFilter(
        fields=ORDERING_FIELDS,
        widget=RepeatableCSVWidget,  # ?ordering=a,b and ?ordering=a&ordering=b
        help_text="Sort key, `-` for descending; default `title`, or relevance "
        "when `search` is given. `title` ignores case, accents, punctuation and "
        "a leading article. Movies without "
        "ratings sort last for rating orderings in either direction; ties are "
        "broken by id.",
    )

    class Meta:
        model = Movie
        fields = ["search", "genre", "year", "year_min", "year_max", "min_ratings"]

    def filter_search(
        self, movies: QuerySet[Movie], name: str, value: str
    ) -> QuerySet[Movie]:
        return movie_search(movies, query=value)
