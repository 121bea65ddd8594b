"""Shapes of ratings in and out of the API.

Scores travel as JSON numbers both ways: a string such as ``"4.5"`` is refused
rather than coerced, and responses carry ``4.5`` and ``3.0``, never strings.
"""

import math
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from movies.models import Movie
from movies.serializers import MovieSummarySerializer
from ratings.models import REVIEW_MAX_LENGTH, Rating, clean_score
from users.serializers import PublicUserSerializer

MAX_ID = 2**63 - 1


@extend_schema_field(
    {
        "type": "number",
        "format": "double",
        "minimum": 0.5,
        "maximum": 5.0,
        "multipleOf": 0.5,
        "description": "Half stars: 0.5 to 5.0 in steps of 0.5.",
        "example": 4.5,
    }
)
class ScoreField(serializers.Field[Decimal, Any, float, Any]):
    """A half-star score: a JSON number in, a ``Decimal`` inside, a number out."""

    default_error_messages = {"invalid": "A number is required."}

    def to_internal_value(self, data: Any) -> Decimal:
        # bool is an int subclass; strings are not numbers in JSON.
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float) and not math.isfinite(data):
            self.fail("invalid")
        try:
            return clean_score(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                exc.messages, code="out_of_range"
            ) from exc

    def to_representation(self, value: Decimal) -> float:
        return float(value)


class ReviewField(serializers.CharField):
    """Optional review text: a JSON string (CharField itself refuses NUL)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", REVIEW_MAX_LENGTH)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class MovieIdField(serializers.PrimaryKeyRelatedField[Movie]):
    """A movie referenced by its integer id; anything but a JSON integer is a 400."""

    default_error_messages = {
        "does_not_exist": "No movie with id {pk_value}.",
        "incorrect_type": "A movie id (integer) is required, not {data_type}.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Movie.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Movie:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)  # type: ignore[arg-type]


class RatingSerializer(serializers.ModelSerializer[Rating]):
    """A rating as every rating endpoint returns it; the input of ``POST ratings/``."""

    movie = MovieIdField(help_text="Id of the rated movie.")
    user = PublicUserSerializer(read_only=True)
    score = ScoreField()
    review = ReviewField(
        help_text=f"Optional review, up to {REVIEW_MAX_LENGTH} characters."
    )

    class Meta:
        model = Rating
        fields = ["id", "movie", "user", "score", "review", "created_at", "updated_at"]
        read_only_fields = ["id", "user", "created_at", "updated_at"]


class RatingUpdateSerializer(RatingSerializer):
    """Input of ``PUT/PATCH ratings/{id}/``: the movie of a rating never changes."""

    movie = MovieIdField(
        required=False,
        help_text="Optional; if given it must be the rating's own movie.",
    )
    review = ReviewField(
        help_text="Omit to keep the current review; an empty string clears it."
    )

    class Meta(RatingSerializer.Meta):
        fields = ["movie", "score", "review"]

    def validate_movie(self, movie: Movie) -> Movie:
        if self.instance is not None and movie.pk != self.instance.movie_id:
            raise serializers.ValidationError("The movie of a rating cannot change.")
        return movie


class MovieRatingUpsertSerializer(serializers.Serializer[Any]):
    """Input of ``PUT movies/{id}/rating/``."""

    score = ScoreField()
    review = ReviewField(
        help_text="Omit to keep your current review; an empty string clears it."
    )


class MovieRatingSerializer(serializers.ModelSerializer[Rating]):
    """One rating in a movie's list of ratings."""

    user = PublicUserSerializer(read_only=True)
    score = ScoreField(read_only=True)

    class Meta:
        model = Rating
        fields = ["id", "user", "score", "review", "created_at", "updated_at"]
        read_only_fields = fields


class ProfileRatingSerializer(serializers.ModelSerializer[Rating]):
    """One rating in a user's profile, with its movie."""

    score = ScoreField(read_only=True)
    movie = MovieSummarySerializer(read_only=True)

    class Meta:
        model = Rating
        fields = ["id", "score", "review", "created_at", "updated_at", "movie"]
        read_only_fields = fields
