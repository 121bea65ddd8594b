from typing import Any

from django.core.validators import MaxValueValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from movieratings.serializers import StrictStringsMixin
from movies.models import (
    IMDB_ID_REGEX,
    MIN_YEAR,
    MOVIE_EDITABLE_FIELDS,
    OVERVIEW_MAX_LENGTH,
    RUNTIME_MINUTES_MAX,
    SCORES,
    Genre,
    Movie,
    max_movie_year,
    score_key,
)

# Context keys of what a movie's representation needs beyond the movie: C and m
# for its weighted rating (the same for every movie of a response), and in a
# detail the caller's own view of the movie, ``(rating or None, in_watchlist)``.
# ``movies.reads`` provides them; the serializers never look them up.
GLOBAL_MEAN = "global_mean"
MIN_VOTES = "min_votes"
CALLER = "caller"

# PostgreSQL's integer column (PositiveIntegerField) holds up to 2**31 - 1.
MAX_INT32 = 2**31 - 1


class GenreSerializer(StrictStringsMixin, serializers.ModelSerializer[Genre]):
    """A genre."""

    class Meta:
        model = Genre
        fields = ["id", "name", "slug"]
        # Names and slugs are unique: the services report a taken one from
        # the database's constraint, not a validator's query first.
        extra_kwargs: dict[str, dict[str, Any]] = {
            "name": {"validators": []},
            "slug": {"validators": []},
        }


class GenreInputSerializer(GenreSerializer):
    """What an admin sends to create or change a genre."""

    # An omitted slug is derived from the name by genre_create.
    class Meta(GenreSerializer.Meta):
        extra_kwargs: dict[str, dict[str, Any]] = {
            "name": {"validators": []},
            "slug": {
                "required": False,
                "help_text": "URL-safe name; derived from the name when omitted.",
                "validators": [],
            },
        }


class RatingDistributionSerializer(serializers.Serializer[Any]):
    """Number of ratings per score, all ten scores present."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # Keys like "0.5" are not Python identifiers, hence declared here.
        return {
            score_key(score): serializers.IntegerField(
                min_value=0, help_text=f"Ratings of {score_key(score)}."
            )
            for score in SCORES
        }

    def to_representation(self, instance: dict[str, int]) -> dict[str, int]:
        # Keys contain dots, which DRF would read as attribute paths.
        return {score_key(score): int(instance[score_key(score)]) for score in SCORES}


@extend_schema_field(
    {
        "type": "number",
        "format": "double",
        "minimum": float(min(SCORES)),
        "maximum": float(max(SCORES)),
        "multipleOf": 0.5,
        "description": "Half stars: 0.5 to 5.0 in steps of 0.5.",
        "example": 4.5,
    }
)
class HalfStarField(serializers.DecimalField):
    """A stored score written as a JSON number (documented as the scores are)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_digits=2,
            decimal_places=1,
            min_value=min(SCORES),
            max_value=max(SCORES),
            coerce_to_string=False,
            **kwargs,
        )


class MovieMyRatingSerializer(serializers.Serializer[Any]):
    """The caller's own rating of a movie."""

    id = serializers.IntegerField()
    score = HalfStarField()
    review = serializers.CharField()
    updated_at = serializers.DateTimeField()


def caller_fields(caller: tuple[dict[str, Any] | None, bool]) -> dict[str, Any]:
    """Return the fields of a movie's detail that are the caller's own."""
    rating, in_watchlist = caller
    return {
        "my_rating": None if rating is None else MovieMyRatingSerializer(rating).data,
        "in_watchlist": in_watchlist,
    }


def _from_context(field: serializers.Field[Any, Any, Any, Any], key: str) -> Any:
    try:
        return field.context[key]
    except KeyError:
        raise LookupError(
            f"{type(field.root).__name__} needs {key!r} in its context: "
            "movies.reads gives it (rating_context, movie_detail)."
        ) from None


class MovieSerializer(serializers.ModelSerializer[Movie]):
    """A movie as listed in the catalogue."""

    genres = GenreSerializer(many=True, read_only=True)
    average_rating = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Mean score rounded to 2 decimals; null when unrated.",
    )
    weighted_rating = serializers.SerializerMethodField(
        help_text="IMDb's Bayesian estimate (v/(v+m))·R + (m/(v+m))·C rounded to "
        "2 decimals, with C the mean of all ratings and m the setting "
        "RATINGS_MIN_VOTES; null when unrated."
    )

    class Meta:
        model = Movie
        fields = [
            "id",
            "title",
            "year",
            "genres",
            "overview",
            "runtime_minutes",
            "imdb_id",
            "tmdb_id",
            "average_rating",
            "weighted_rating",
            "rating_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_weighted_rating(self, movie: Movie) -> float | None:
        return movie.weighted_rating(
            global_mean=_from_context(self, GLOBAL_MEAN),
            min_votes=_from_context(self, MIN_VOTES),
        )


class MovieSummarySerializer(MovieSerializer):
    """The summary of a movie shown wherever movies are listed for a person:
    profiles, watchlists, diaries, recommendations.

    Its ``weighted_rating`` takes C from the context (``GLOBAL_MEAN``), which
    list views read with their rows (``movies.selectors.with_global_mean``).
    """

    class Meta(MovieSerializer.Meta):
        fields = [
            "id",
            "title",
            "year",
            "genres",
            "average_rating",
            "weighted_rating",
            "rating_count",
        ]
        read_only_fields = fields


class MovieDetailSerializer(MovieSerializer):
    """A movie with its rating distribution and the caller's own view of it."""

    rating_distribution = RatingDistributionSerializer(read_only=True)
    my_rating = serializers.SerializerMethodField(
        help_text="Your rating of this movie; null if you have not rated it or "
        "are anonymous."
    )
    in_watchlist = serializers.SerializerMethodField(
        help_text="Whether the movie is on your watchlist; always false for an "
        "anonymous caller."
    )

    class Meta(MovieSerializer.Meta):
        fields = [
            *MovieSerializer.Meta.fields,
            "rating_distribution",
            "my_rating",
            "in_watchlist",
        ]
        read_only_fields = fields

    @extend_schema_field(MovieMyRatingSerializer(allow_null=True))
    def get_my_rating(self, movie: Movie) -> dict[str, Any] | None:
        my_rating: dict[str, Any] | None
        my_rating = caller_fields(_from_context(self, CALLER))["my_rating"]
        return my_rating

    @extend_schema_field(serializers.BooleanField())
    def get_in_watchlist(self, movie: Movie) -> bool:
        return bool(caller_fields(_from_context(self, CALLER))["in_watchlist"])


class GenreSlugsField(serializers.ListField):
    """A list of genre slugs in, the list of existing Genre objects out."""

    child = serializers.SlugField(max_length=64)

    def to_internal_value(self, data: Any) -> list[Genre]:
        slugs: list[str] = list(dict.fromkeys(super().to_internal_value(data)))
        genres = {genre.slug: genre for genre in Genre.objects.filter(slug__in=slugs)}
        unknown = [slug for slug in slugs if slug not in genres]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown genre: {', '.join(unknown)}.", code="does_not_exist"
            )
        return [genres[slug] for slug in slugs]

    def to_representation(self, data: Any) -> list[str]:
        return [genre.slug for genre in data.all()]


class MovieInputSerializer(StrictStringsMixin, serializers.ModelSerializer[Movie]):
    """What an admin sends to create or change a movie."""

    title = serializers.CharField(max_length=255, help_text="1 to 255 characters.")
    year = serializers.IntegerField(
        allow_null=True,
        min_value=MIN_YEAR,
        # The upper bound moves with the calendar: a callable limit is read on
        # every validation and every schema generation.
        validators=[MaxValueValidator(max_movie_year)],
        help_text=f"Release year: {MIN_YEAR} to next year + 5; null when unknown.",
    )
    genres = GenreSlugsField(
        help_text="Slugs of existing genres (may be empty).", max_length=64
    )
    overview = serializers.CharField(
        required=False, allow_blank=True, max_length=OVERVIEW_MAX_LENGTH
    )
    runtime_minutes = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=RUNTIME_MINUTES_MAX,
        help_text=f"1 to {RUNTIME_MINUTES_MAX}, or null when unknown.",
    )
    imdb_id = serializers.RegexField(
        IMDB_ID_REGEX,
        required=False,
        allow_null=True,
        max_length=12,
        help_text="Like tt0114709; unique.",
        error_messages={"invalid": "Enter an IMDb id like tt0114709."},
    )
    tmdb_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_INT32,
        help_text="Positive; unique.",
    )

    # What an omitted optional field becomes on a full update (PUT).
    DEFAULTS: dict[str, Any] = {
        "overview": "",
        "runtime_minutes": None,
        "imdb_id": None,
        "tmdb_id": None,
    }

    class Meta:
        model = Movie
        fields = MOVIE_EDITABLE_FIELDS

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not self.partial:
            # A PUT replaces the movie: what it leaves out is reset.
            attrs = {**self.DEFAULTS, **attrs}
        return attrs
