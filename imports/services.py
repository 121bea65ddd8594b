"""Bringing a film history into an account.

Three steps a test can take one at a time: ``parsing.parse_history`` reads the
file into typed rows, ``matching.match_rows`` finds each row's film, and
``history_import`` writes what the matched rows say, in one transaction,
through the services that own ratings, diary entries and the watchlist: the
aggregates follow the one rule of ``ratings.services``, with one update per
film touched.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from django.db import transaction

from diary.services import DiaryRow, diary_entries_add_many
from imports.matching import Matches, match_rows
from imports.parsing import HistoryFormat, HistoryRow, ParsedFile, Problem
from movies.models import Movie
from ratings.services import RatingImport, ratings_import
from users.models import User
from watchlist.services import watchlist_add_many

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnmatchedRow:
    row: int
    title: str
    year: int | None
    reason: Problem


@dataclass(frozen=True)
class AmbiguousRow:
    row: int
    title: str
    year: int | None
    candidates: list[Movie]


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do), row by row."""

    format: HistoryFormat
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    watchlisted: int = 0
    diary_entries: int = 0
    unmatched: list[UnmatchedRow] = field(default_factory=list)
    ambiguous: list[AmbiguousRow] = field(default_factory=list)


@dataclass
class ImportPlan:
    """What the matched rows of a file ask to be written."""

    ratings: list[RatingImport] = field(default_factory=list)
    diary: list[DiaryRow] = field(default_factory=list)
    watchlist: list[Movie] = field(default_factory=list)
    # When each film of the watchlist was added, where the file says.
    watchlist_added_at: dict[int, datetime] = field(default_factory=dict)


def _moment(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)


def _latest_first(row: HistoryRow) -> tuple[date, date, int]:
    # Diary rows by the day watched, then any row by its date, then file order.
    return (row.watched_on or date.min, row.dated or date.min, row.number)


def import_plan(parsed: ParsedFile, matches: Matches) -> ImportPlan:
    """Return the writes the matched rows of ``parsed`` ask for.

    A film's rating is its rating row (the latest, if the file rates it
    twice), else its latest diary row with a score; its date is that row's
    date, else the day it was watched. Diary rows are entries, one per film
    and day (the last row of a day wins).
    """
    plan = ImportPlan()
    if not parsed.writes:
        return plan
    matched = [
        (row, matches.movies[row.number])
        for row in parsed.rows
        if row.number in matches.movies
    ]
    if parsed.format == HistoryFormat.LETTERBOXD_WATCHLIST:
        first_rows: dict[int, HistoryRow] = {}
        for row, movie_id in matched:
            first_rows.setdefault(movie_id, row)  # A film's first row counts.
        movies = _movies(first_rows)
        plan.watchlist = [movies[movie_id] for movie_id in first_rows]
        plan.watchlist_added_at = {
            movie_id: moment
            for movie_id, row in first_rows.items()
            if (moment := _moment(row.dated)) is not None
        }
        return plan
    rating_rows: dict[int, HistoryRow] = {}
    diary_rows: dict[int, HistoryRow] = {}
    entries: dict[tuple[int, date], HistoryRow] = {}
    for row, movie_id in matched:
        if row.watched_on is not None:
            entries[(movie_id, row.watched_on)] = row
            chosen = diary_rows
        else:
            chosen = rating_rows
        if row.score is not None and (
            movie_id not in chosen
            or _latest_first(row) > _latest_first(chosen[movie_id])
        ):
            chosen[movie_id] = row
    for movie_id, row in (diary_rows | rating_rows).items():
        assert row.score is not None  # noqa: S101 (chosen for their score)
        plan.ratings.append(
            RatingImport(
                movie_id=movie_id,
                score=row.score,
                review=row.review,
                created_at=_moment(row.dated or row.watched_on),
            )
        )
    movies = _movies(movie_id for movie_id, _day in entries)
    plan.diary = [
        (movies[movie_id], day, row.score, row.review or "")
        for (movie_id, day), row in entries.items()
    ]
    return plan


def _movies(movie_ids: Iterable[int]) -> dict[int, Movie]:
    """Return the films the diary and watchlist services take, by id."""
    ids = sorted(set(movie_ids))
    movies: dict[int, Movie] = {}
    for start in range(0, len(ids), 500):
        movies.update(Movie.objects.only("pk").in_bulk(ids[start : start + 500]))
    return movies


def _report(parsed: ParsedFile, matches: Matches) -> ImportReport:
    report = ImportReport(format=parsed.format, rows=len(parsed.rows))
    candidates = Movie.objects.filter(
        pk__in={pk for pks in matches.ambiguous.values() for pk in pks}
    ).prefetch_related("genres")
    summaries = {movie.pk: movie for movie in candidates} if matches.ambiguous else {}
    for row in parsed.rows:
        if row.number in matches.movies:
            continue
        if row.number in matches.ambiguous:
            report.ambiguous.append(
                AmbiguousRow(
                    row=row.number,
                    title=row.title,
                    year=row.year,
                    candidates=[summaries[pk] for pk in matches.ambiguous[row.number]],
                )
            )
        else:
            report.unmatched.append(
                UnmatchedRow(
                    row=row.number,
                    title=row.title,
                    year=row.year,
                    reason=row.problem or Problem.NOT_FOUND,
                )
            )
    return report


def history_import(
    *, user: User, parsed: ParsedFile, dry_run: bool = False
) -> ImportReport:
    """Apply a parsed history file to ``user``'s account; return the report.

    Every matched row is applied in one transaction. A dry run does the same
    work and rolls it back, so that its report is exactly what the real run
    would say and nothing is written.
    """
    matches = match_rows(parsed.rows)
    plan = import_plan(parsed, matches)
    report = _report(parsed, matches)
    with transaction.atomic():
        if plan.ratings:
            counts = ratings_import(user=user, items=plan.ratings)
            report.created = counts.created
            report.updated = counts.updated
            report.unchanged = counts.unchanged
        if plan.diary:
            report.diary_entries = diary_entries_add_many(user=user, entries=plan.diary)
        if plan.watchlist:
            report.watchlisted = watchlist_add_many(
                user=user, movies=plan.watchlist, added_at=plan.watchlist_added_at
            )
        if dry_run:
            transaction.set_rollback(True)
    logger.info(
        "History import%s: %s, %d rows, %d created, %d updated, %d unchanged, "
        "%d diary entries, %d watchlisted, %d unmatched, %d ambiguous",
        " (dry run)" if dry_run else "",
        parsed.format,
        report.rows,
        report.created,
        report.updated,
        report.unchanged,
        report.diary_entries,
        report.watchlisted,
        len(report.unmatched),
        len(report.ambiguous),
    )
    return report
