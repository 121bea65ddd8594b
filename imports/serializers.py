"""Shapes of history imports and exports in and out of the API."""

from typing import Any

from django.conf import settings
from rest_framework import serializers

from diary.models import DiaryEntry
from imports.parsing import HistoryFormat, Problem
from movies.models import Movie
from movies.serializers import MovieSummarySerializer
from ratings.models import Rating
from ratings.serializers import ScoreField
from watchlist.models import WatchlistEntry


class HistoryUploadSerializer(serializers.Serializer[Any]):
    """Input of ``POST users/me/imports/`` (``multipart/form-data``)."""

    file = serializers.FileField(
        help_text="An IMDb ratings export, a Letterboxd export file (ratings, "
        "diary, reviews, watched, watchlist) or a CSV in Letterboxd's import "
        "format: UTF-8, with or without a byte order mark, at most "
        f"{settings.IMPORT_MAX_FILE_BYTES // (1024 * 1024)} MB. Letterboxd's "
        "watched.csv and watchlist.csv share a header: a file whose name says "
        "`watchlist` goes to the watchlist."
    )
    dry_run = serializers.BooleanField(
        default=False,
        help_text="Match and report without writing anything (answers 200).",
    )


class ImportUnmatchedSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text="Data row of the file, from 1.")
    title = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    reason = serializers.ChoiceField(
        choices=[problem.value for problem in Problem],
        help_text="`not_found`: no film of the catalogue; `not_a_film`: a TV "
        "series, episode or game; `no_title`: neither title nor id; "
        "`invalid_rating`, `invalid_date`, `invalid_year`, `invalid_review`: "
        "a value that cannot be read (a date in the future, a review over "
        "2000 characters).",
    )


class ImportAmbiguousSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text="Data row of the file, from 1.")
    title = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    candidates = MovieSummarySerializer(
        many=True, help_text="The films the row may mean; none was chosen."
    )


class ImportReportSerializer(serializers.Serializer[Any]):
    """What an import did; every row of the file is accounted for."""

    format = serializers.ChoiceField(
        choices=HistoryFormat.choices, help_text="The format the header names."
    )
    rows = serializers.IntegerField(help_text="Data rows in the file.")
    created = serializers.IntegerField(help_text="Your ratings created.")
    updated = serializers.IntegerField(help_text="Your ratings changed.")
    unchanged = serializers.IntegerField(
        help_text="Your ratings the file gives as they already were."
    )
    watchlisted = serializers.IntegerField(help_text="Films added to your watchlist.")
    diary_entries = serializers.IntegerField(help_text="Diary entries added.")
    unmatched = ImportUnmatchedSerializer(many=True)
    ambiguous = ImportAmbiguousSerializer(many=True)


class ExportQuerySerializer(serializers.Serializer[Any]):
    format = serializers.ChoiceField(choices=["csv", "json"], default="csv")


class ExportMovieSerializer(serializers.ModelSerializer[Movie]):
    class Meta:
        model = Movie
        fields = ["id", "title", "year", "imdb_id", "tmdb_id"]
        read_only_fields = fields


class ExportRatingSerializer(serializers.ModelSerializer[Rating]):
    movie = ExportMovieSerializer(read_only=True)
    score = ScoreField(read_only=True)

    class Meta:
        model = Rating
        fields = ["movie", "score", "review", "created_at", "updated_at"]
        read_only_fields = fields


class ExportDiaryEntrySerializer(serializers.ModelSerializer[DiaryEntry]):
    movie = ExportMovieSerializer(read_only=True)
    score = ScoreField(read_only=True, allow_null=True)

    class Meta:
        model = DiaryEntry
        fields = ["movie", "watched_on", "score", "review"]
        read_only_fields = fields


class ExportWatchlistEntrySerializer(serializers.ModelSerializer[WatchlistEntry]):
    movie = ExportMovieSerializer(read_only=True)

    class Meta:
        model = WatchlistEntry
        fields = ["movie", "added_at"]
        read_only_fields = fields


class HistoryExportSerializer(serializers.Serializer[Any]):
    """``GET users/me/export/?format=json``: everything the account holds."""

    ratings = ExportRatingSerializer(many=True, read_only=True)
    diary = ExportDiaryEntrySerializer(many=True, read_only=True)
    watchlist = ExportWatchlistEntrySerializer(many=True, read_only=True)
