"""Shapes of diary entries in and out of the API."""

import datetime
from typing import Any

from rest_framework import serializers

from diary.models import DiaryEntry, latest_watch_date
from movies.models import Movie
from movies.serializers import MovieSummarySerializer
from ratings.models import REVIEW_MAX_LENGTH
from ratings.serializers import MovieIdField, ReviewField, ScoreField


class WatchedOnField(serializers.DateField):
    """The day of a viewing: an ISO date, not in the future."""

    default_error_messages = {
        "future": "A viewing cannot be in the future.",
    }

    def to_internal_value(self, value: Any) -> datetime.date:
        if not isinstance(value, str | datetime.date):
            self.fail("invalid", format="YYYY-MM-DD")
        day = super().to_internal_value(value)
        if day > latest_watch_date():
            self.fail("future")
        return day


class DiaryEntrySerializer(serializers.ModelSerializer[DiaryEntry]):
    """A diary entry as every diary endpoint returns it."""

    movie = MovieSummarySerializer(read_only=True)
    rewatch = serializers.BooleanField(
        read_only=True,
        help_text="True for every entry of a film after its first by `watched_on`.",
    )
    score = ScoreField(
        read_only=True, allow_null=True, help_text="Your score that day, if any."
    )

    class Meta:
        model = DiaryEntry
        fields = [
            "id",
            "movie",
            "watched_on",
            "rewatch",
            "score",
            "review",
            "created_at",
        ]
        read_only_fields = fields


class DiaryEntryCreateSerializer(serializers.Serializer[Any]):
    """Input of ``POST users/me/diary/``."""

    movie = MovieIdField(help_text="Id of the film you watched.")
    watched_on = WatchedOnField(help_text="The day you watched it; not in the future.")
    score = ScoreField(
        required=False,
        allow_null=True,
        help_text="Optional; also becomes your rating of the film.",
    )
    review = ReviewField(
        help_text=f"Optional, up to {REVIEW_MAX_LENGTH} characters; with a score "
        "it also becomes your rating's review."
    )


class DiaryEntryUpdateSerializer(serializers.Serializer[Any]):
    """Input of ``PATCH users/me/diary/{id}/``: the rating stays as it is."""

    movie = MovieIdField(
        required=False,
        help_text="Optional; if given it must be the entry's own film.",
    )
    watched_on = WatchedOnField(
        required=False, help_text="The day you watched it; not in the future."
    )
    score = ScoreField(
        required=False,
        allow_null=True,
        help_text="Your score that day; null clears it. Your rating is unchanged.",
    )
    review = ReviewField(help_text="What you thought that day; empty clears it.")

    def validate_movie(self, movie: Movie) -> Movie:
        entry = self.instance
        if entry is not None and movie.pk != entry.movie_id:
            raise serializers.ValidationError(
                "The film of a diary entry cannot change."
            )
        return movie
