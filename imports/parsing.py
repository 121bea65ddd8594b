"""Reading a film history file (IMDb or Letterboxd CSV) into typed rows.

Nothing here touches the database: ``parse_history`` turns the bytes of an
upload into a ``ParsedFile`` or raises ``HistoryFileError``. Python's csv
module does the reading, so quoted fields may hold commas, quotes and line
breaks; the format is recognised by the header row, whatever the order of its
columns. A row that cannot be used (a TV series in an IMDb export, a rating
of 11) is kept with its ``problem`` so that the report accounts for it.
"""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import models

from diary.models import latest_watch_date
from movies.models import MIN_YEAR, max_movie_year
from ratings.models import clean_review, clean_score


class HistoryFormat(models.TextChoices):
    IMDB = "imdb", "IMDb ratings export"
    LETTERBOXD_RATINGS = "letterboxd_ratings", "Letterboxd ratings.csv"
    LETTERBOXD_DIARY = "letterboxd_diary", "Letterboxd diary.csv"
    LETTERBOXD_REVIEWS = "letterboxd_reviews", "Letterboxd reviews.csv"
    LETTERBOXD_WATCHED = "letterboxd_watched", "Letterboxd watched.csv"
    LETTERBOXD_WATCHLIST = "letterboxd_watchlist", "Letterboxd watchlist.csv"
    LETTERBOXD_IMPORT = "letterboxd_import", "Letterboxd import format"


class Problem(StrEnum):
    """Why a row was not applied (the ``reason`` of an unmatched row)."""

    NOT_FOUND = "not_found"
    NOT_A_FILM = "not_a_film"
    NO_TITLE = "no_title"
    INVALID_RATING = "invalid_rating"
    INVALID_DATE = "invalid_date"
    INVALID_YEAR = "invalid_year"
    INVALID_REVIEW = "invalid_review"


class HistoryFileError(ValueError):
    """The upload is not a film history file this module can read."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class HistoryRow:
    """One data row of a history file, typed; ``number`` counts from 1."""

    number: int
    title: str
    year: int | None = None
    imdb_id: str | None = None
    tmdb_id: int | None = None
    # Other names of the film to match by (IMDb's ``Original Title``).
    other_titles: tuple[str, ...] = ()
    score: Decimal | None = None
    # None: the file says nothing about a review (an existing one is kept).
    review: str | None = None
    # When the film was rated or the entry logged.
    dated: date | None = None
    # The day a diary entry records; None for a row that is not a diary entry.
    watched_on: date | None = None
    problem: Problem | None = None

    @property
    def is_diary_entry(self) -> bool:
        return self.watched_on is not None


@dataclass(frozen=True)
class ParsedFile:
    format: HistoryFormat
    rows: list[HistoryRow]

    @property
    def writes(self) -> bool:
        """Return whether matched rows are written (watched.csv only reports)."""
        return self.format != HistoryFormat.LETTERBOXD_WATCHED


_Cell = Callable[[str], str]

# IMDb title types that are films; series, episodes and games are not.
_IMDB_FILM_TYPES = frozenset({"movie", "tvmovie", "short", "tvshort", "video"})
_LETTERBOXD_EXPORT = frozenset({"date", "name", "year", "letterboxd uri"})
_LETTERBOXD_IMPORT = frozenset(
    {
        "letterboxduri",
        "tmdbid",
        "imdbid",
        "title",
        "year",
        "directors",
        "rating",
        "rating10",
        "watcheddate",
        "rewatch",
        "tags",
        "review",
        "date",
    }
)
# Columns a Letterboxd import row can be matched by (never its URI).
_IMPORT_IDENTITY = frozenset({"tmdbid", "imdbid", "title"})


def recognise_format(columns: set[str], *, filename: str = "") -> HistoryFormat | None:
    """Return the format whose header has these (casefolded) column names.

    Letterboxd's watched.csv and watchlist.csv share one header; the file's
    name, as Letterboxd exports it, tells them apart, and a file that does not
    say ``watchlist`` is read as watched films, which writes nothing.
    """
    if columns >= {"const", "your rating"}:
        return HistoryFormat.IMDB
    if columns >= _LETTERBOXD_EXPORT:
        if "watched date" in columns:
            if "review" in columns:
                return HistoryFormat.LETTERBOXD_REVIEWS
            return HistoryFormat.LETTERBOXD_DIARY
        if "rating" in columns:
            return HistoryFormat.LETTERBOXD_RATINGS
        if "watchlist" in filename.casefold():
            return HistoryFormat.LETTERBOXD_WATCHLIST
        return HistoryFormat.LETTERBOXD_WATCHED
    if columns & _IMPORT_IDENTITY and columns <= _LETTERBOXD_IMPORT:
        return HistoryFormat.LETTERBOXD_IMPORT
    return None


def _decode(data: bytes) -> str:
    try:
        # utf-8-sig drops a byte order mark (Excel writes one) if there is one.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HistoryFileError(
            "The file is not UTF-8 text: export it again as UTF-8 CSV.", "not_utf8"
        ) from exc
    if "\x00" in text:
        raise HistoryFileError("The file is not a CSV file.", "not_csv")
    return text


def _records(text: str) -> Iterator[list[str]]:
    # strict: an unterminated quote is an error, not a field running to the end.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for record in reader:
            if any(cell.strip() for cell in record):  # Blank lines are no rows.
                yield record
    except csv.Error as exc:
        raise HistoryFileError(
            f"The file is not a valid CSV file (line {reader.line_num}: {exc}).",
            "not_csv",
        ) from exc


def parse_history(data: bytes, *, filename: str = "") -> ParsedFile:
    """Return the typed rows of a history file; raise ``HistoryFileError``.

    An empty file, or one with a header and no data rows, is an error: there
    is nothing to import.
    """
    records = _records(_decode(data))
    header = next(records, None)
    if header is None:
        raise HistoryFileError("The file is empty.", "empty_file")
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        key = name.strip().casefold()
        if key:
            index.setdefault(key, position)
    history_format = recognise_format(set(index), filename=filename)
    if history_format is None:
        raise HistoryFileError(
            "The header row is not one of an IMDb or Letterboxd export, nor "
            "Letterboxd's import format.",
            "unknown_format",
        )
    read_row = _READERS[history_format]
    rows = []
    for number, record in enumerate(records, start=1):

        def cell(name: str, record: list[str] = record) -> str:
            position = index.get(name)
            if position is None or position >= len(record):
                return ""
            return record[position].strip()

        rows.append(read_row(number, cell))
    if not rows:
        raise HistoryFileError("The file has a header but no rows.", "empty_file")
    return ParsedFile(format=history_format, rows=rows)


# --- Cells ------------------------------------------------------------------


class _Invalid(ValueError):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def _year(text: str) -> int | None:
    if not text:
        return None
    try:
        year = int(text)
    except ValueError:
        raise _Invalid(Problem.INVALID_YEAR) from None
    if not MIN_YEAR <= year <= max_movie_year():
        raise _Invalid(Problem.INVALID_YEAR)
    return year


def _date(text: str) -> date | None:
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        try:
            value = datetime.fromisoformat(text).date()
        except ValueError:
            raise _Invalid(Problem.INVALID_DATE) from None
    # Not in the future: not later than today in the last time zone to start it.
    if value > latest_watch_date() or value.year < MIN_YEAR:
        raise _Invalid(Problem.INVALID_DATE)
    return value


def _half_stars(text: str) -> Decimal | None:
    """Read a 0.5-5 score (Letterboxd)."""
    if not text:
        return None
    try:
        score = clean_score(text)
    except ValidationError:
        raise _Invalid(Problem.INVALID_RATING) from None
    return score.quantize(Decimal("0.1"))


def _out_of_ten(text: str) -> Decimal | None:
    """Read a 1-10 score (IMDb, Letterboxd's Rating10) as half of it: 7 → 3.5."""
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _Invalid(Problem.INVALID_RATING) from None
    if not value.is_finite() or value != value.to_integral_value():
        raise _Invalid(Problem.INVALID_RATING)
    return _half_stars(str(value / 2))


def _review(text: str) -> str | None:
    if not text:
        return None
    try:
        return clean_review(text)
    except ValidationError:
        raise _Invalid(Problem.INVALID_REVIEW) from None


def imdb_id(text: str) -> str | None:
    """Return ``tt`` and at least 7 digits, for ``tt0114709`` or ``114709``."""
    digits = text.strip().casefold().removeprefix("tt")
    if not digits.isascii() or not digits.isdigit() or not 0 < int(digits) < 10**10:
        return None
    return f"tt{int(digits):07d}"


def _tmdb_id(text: str) -> int | None:
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**31:
        return None
    return int(text)


# --- Rows -------------------------------------------------------------------


def _row(
    number: int, cell: _Cell, title: str, read: Callable[[], dict[str, object]]
) -> HistoryRow:
    """Build a row from ``read()``'s fields, or one that records its problem."""
    try:
        fields = read()
    except _Invalid as invalid:
        return _unusable(number, cell, title, invalid.problem)
    row = HistoryRow(number=number, title=title, **fields)  # type: ignore[arg-type]
    if not (row.title or row.imdb_id or row.tmdb_id):
        return _unusable(number, cell, title, Problem.NO_TITLE)
    return row


def _unusable(number: int, cell: _Cell, title: str, problem: Problem) -> HistoryRow:
    """Return a row that is reported, with the year it gives if it is a number."""
    year = cell("year")
    return HistoryRow(
        number=number,
        title=title,
        year=int(year)
        if year.isascii() and year.isdigit() and len(year) <= 4
        else None,
        problem=problem,
    )


def _imdb_row(number: int, cell: _Cell) -> HistoryRow:
    title = cell("title")

    def read() -> dict[str, object]:
        original = cell("original title")
        fields: dict[str, object] = {
            "year": _year(cell("year")),
            "imdb_id": imdb_id(cell("const")),
            "other_titles": (original,) if original and original != title else (),
            "dated": _date(cell("date rated")),
        }
        title_type = cell("title type").casefold().replace(" ", "")
        if title_type and title_type not in _IMDB_FILM_TYPES:
            raise _Invalid(Problem.NOT_A_FILM)
        fields["score"] = _out_of_ten(cell("your rating"))
        if fields["score"] is None:
            raise _Invalid(Problem.INVALID_RATING)
        return fields

    return _row(number, cell, title, read)


def _letterboxd_row(number: int, cell: _Cell) -> HistoryRow:
    """A row of Letterboxd's ratings, diary, reviews, watched or watchlist file."""

    def read() -> dict[str, object]:
        return {
            "year": _year(cell("year")),
            "score": _half_stars(cell("rating")),
            "review": _review(cell("review")),
            "dated": _date(cell("date")),
            "watched_on": _date(cell("watched date")),
        }

    return _row(number, cell, cell("name"), read)


def _letterboxd_ratings_row(number: int, cell: _Cell) -> HistoryRow:
    row = _letterboxd_row(number, cell)
    if row.problem is None and row.score is None:
        return _unusable(number, cell, row.title, Problem.INVALID_RATING)
    return row


def _letterboxd_import_row(number: int, cell: _Cell) -> HistoryRow:
    def read() -> dict[str, object]:
        score = _half_stars(cell("rating"))
        if score is None:
            score = _out_of_ten(cell("rating10"))
        return {
            "year": _year(cell("year")),
            "imdb_id": imdb_id(cell("imdbid")),
            "tmdb_id": _tmdb_id(cell("tmdbid")),
            "score": score,
            "review": _review(cell("review")),
            "dated": _date(cell("date")),
            "watched_on": _date(cell("watcheddate")),
        }

    return _row(number, cell, cell("title"), read)


_READERS: dict[HistoryFormat, Callable[[int, _Cell], HistoryRow]] = {
    HistoryFormat.IMDB: _imdb_row,
    HistoryFormat.LETTERBOXD_RATINGS: _letterboxd_ratings_row,
    HistoryFormat.LETTERBOXD_DIARY: _letterboxd_row,
    HistoryFormat.LETTERBOXD_REVIEWS: _letterboxd_row,
    HistoryFormat.LETTERBOXD_WATCHED: _letterboxd_row,
    HistoryFormat.LETTERBOXD_WATCHLIST: _letterboxd_row,
    HistoryFormat.LETTERBOXD_IMPORT: _letterboxd_import_row,
}
