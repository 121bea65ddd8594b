"""Shapes of the recommendation endpoints: query parameters in, picks out."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import QueryDict
from rest_framework import serializers

from movies.filters import SlugListField
from movies.serializers import MovieSummarySerializer

SIMILAR_LIMIT_DEFAULT, SIMILAR_LIMIT_MAX = 10, 50
RECOMMENDATIONS_LIMIT_DEFAULT, RECOMMENDATIONS_LIMIT_MAX = 20, 100
SCORE_HELP = "Only the order of scores is meaningful."


def _present(query: QueryDict, names: tuple[str, ...]) -> dict[str, Any]:
    # An empty value counts as absent (API contract).
    return {name: query[name] for name in names if query.get(name, "") != ""}


class SimilarQuerySerializer(serializers.Serializer[Any]):
    """Query parameters of ``movies/{id}/similar/``."""

    limit = serializers.IntegerField(
        min_value=1, max_value=SIMILAR_LIMIT_MAX, default=SIMILAR_LIMIT_DEFAULT
    )

    @classmethod
    def from_query(cls, query: QueryDict) -> dict[str, Any]:
        """Return the validated parameters; raise ValidationError (400) if invalid."""
        serializer = cls(data=_present(query, ("limit",)))
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


class RecommendationsQuerySerializer(SimilarQuerySerializer):
    """Query parameters of ``users/…/recommendations/``."""

    limit = serializers.IntegerField(
        min_value=1,
        max_value=RECOMMENDATIONS_LIMIT_MAX,
        default=RECOMMENDATIONS_LIMIT_DEFAULT,
    )

    @classmethod
    def from_query(cls, query: QueryDict) -> dict[str, Any]:
        parameters = super().from_query(query)
        # ``?genre=`` reads as the movie list's: repeated and/or comma-separated.
        try:
            parameters["genres"] = SlugListField(required=False).clean(
                query.getlist("genre")
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"genre": exc.messages}) from exc
        return parameters


class SimilarMovieSerializer(serializers.Serializer[Any]):
    """One film similar to another."""

    movie = MovieSummarySerializer(read_only=True)
    score = serializers.FloatField(read_only=True, help_text=SCORE_HELP)


class SimilarMoviesSerializer(serializers.Serializer[Any]):
    """The films most similar to one, most similar first."""

    results = SimilarMovieSerializer(many=True, read_only=True)


class RecommendationSerializer(serializers.Serializer[Any]):
    """One recommended film and the caller's rated films that support it."""

    movie = MovieSummarySerializer(read_only=True)
    score = serializers.FloatField(read_only=True, help_text=SCORE_HELP)
    because = MovieSummarySerializer(
        many=True,
        read_only=True,
        help_text="Up to three of the user's rated films that most support this "
        "pick; empty for the popular strategy.",
    )


class RecommendationsSerializer(serializers.Serializer[Any]):
    """Films for one user, best first."""

    strategy = serializers.ChoiceField(
        choices=["personal", "popular"],
        read_only=True,
        help_text="`personal`: learned from the user's ratings; `popular`: the "
        "best films by weighted rating, for a user with no ratings yet (or "
        "before the first training).",
    )
    results = RecommendationSerializer(many=True, read_only=True)
