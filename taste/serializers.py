"""The shape of a taste profile (read-only: it is computed, never written)."""

from typing import Any

from rest_framework import serializers

from movies.serializers import GenreSerializer, RatingDistributionSerializer

_AVERAGE_HELP = "Mean score given, rounded to 2 decimals."


class TasteDecadeSerializer(serializers.Serializer[Any]):
    decade = serializers.IntegerField(help_text="First year of the decade: 1990.")
    count = serializers.IntegerField(help_text="Films of that decade rated.")
    average_score = serializers.FloatField(help_text=_AVERAGE_HELP)


class TasteGenreSerializer(serializers.Serializer[Any]):
    genre = GenreSerializer()
    count = serializers.IntegerField(help_text="Films of that genre rated.")
    average_score = serializers.FloatField(help_text=_AVERAGE_HELP)


class TasteProfileSerializer(serializers.Serializer[Any]):
    """What a user's ratings say about their taste."""

    ratings_count = serializers.IntegerField(help_text="Films rated.")
    average_score = serializers.FloatField(
        allow_null=True, help_text=f"{_AVERAGE_HELP} Null when nothing is rated."
    )
    score_distribution = RatingDistributionSerializer(
        help_text="Ratings given per score, all ten scores present."
    )
    by_decade = TasteDecadeSerializer(
        many=True,
        help_text="Every decade rated, oldest first (films of unknown year are "
        "left out).",
    )
    by_genre = TasteGenreSerializer(
        many=True, help_text="The ten most rated genres, most rated first."
    )
    versus_community = serializers.FloatField(
        allow_null=True,
        help_text="Mean of (your score - the film's average) over your ratings, "
        "rounded to 2 decimals: negative for a harsher rater than most. Null "
        "when nothing is rated.",
    )
    watchlist_count = serializers.IntegerField(help_text="Films on the watchlist.")
