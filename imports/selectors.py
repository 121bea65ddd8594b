"""Reads of an account's history for export.

The CSV export is Letterboxd's import format, so that the file goes back in
here (or into Letterboxd) as it is: one row per rating (``WatchedDate``
empty, ``Date`` the day it was rated) and one per diary entry (``WatchedDate``
the day watched, ``Rating`` that day's score, ``Date`` empty). Rows stream from
two queries read in chunks, whatever the size of the history.
"""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from diary.models import DiaryEntry
from ratings.models import Rating
from users.models import User
from watchlist.models import WatchlistEntry

EXPORT_HEADER = [
    "imdbID",
    "tmdbID",
    "Title",
    "Year",
    "Rating",
    "WatchedDate",
    "Rewatch",
    "Review",
    "Date",
]
_MOVIE_FIELDS = ["movie__imdb_id", "movie__tmdb_id", "movie__title", "movie__year"]
_CHUNK = 2000


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.1f}"
    return str(value)


def export_rows(*, user: User) -> Iterator[list[str]]:
    """Yield the CSV export of ``user``'s history, header first."""
    yield EXPORT_HEADER
    ratings = (
        Rating.objects.filter(user=user)
        .order_by("created_at", "pk")
        .values_list(*_MOVIE_FIELDS, "score", "review", "created_at")
    )
    for imdb_id, tmdb_id, title, year, score, review, created_at in ratings.iterator(
        chunk_size=_CHUNK
    ):
        yield [
            _text(imdb_id),
            _text(tmdb_id),
            title,
            _text(year),
            _text(score),
            "",
            "",
            review,
            created_at.date().isoformat(),
        ]
    entries = (
        DiaryEntry.objects.filter(user=user)
        .order_by("watched_on", "pk")
        .values_list("movie_id", *_MOVIE_FIELDS, "score", "review", "watched_on")
    )
    seen: set[int] = set()
    for (
        movie_id,
        imdb_id,
        tmdb_id,
        title,
        year,
        score,
        review,
        watched_on,
    ) in entries.iterator(chunk_size=_CHUNK):
        # Entries come by day, so an entry is a rewatch once its film was seen.
        rewatch = movie_id in seen
        seen.add(movie_id)
        yield [
            _text(imdb_id),
            _text(tmdb_id),
            title,
            _text(year),
            _text(score),
            watched_on.isoformat(),
            "true" if rewatch else "false",
            review,
            "",
        ]


def export_ratings(*, user: User) -> QuerySet[Rating]:
    return (
        Rating.objects.filter(user=user)
        .select_related("movie")
        .order_by("created_at", "pk")
    )


def export_diary(*, user: User) -> QuerySet[DiaryEntry]:
    return (
        DiaryEntry.objects.filter(user=user)
        .select_related("movie")
        .order_by("watched_on", "pk")
    )


def export_watchlist(*, user: User) -> QuerySet[WatchlistEntry]:
    return (
        WatchlistEntry.objects.filter(user=user)
        .select_related("movie")
        .order_by("added_at", "pk")
    )
