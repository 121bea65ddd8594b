"""Reading history files into typed rows: formats, encodings, bad files."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from imports.parsing import (
    HistoryFileError,
    HistoryFormat,
    Problem,
    imdb_id,
    parse_history,
    recognise_format,
)
from imports.tests.history_files import (
    JUMANJI,
    LETTERBOXD_DIARY_HEADER,
    LETTERBOXD_LIST_HEADER,
    LETTERBOXD_RATINGS_HEADER,
    LETTERBOXD_REVIEWS_HEADER,
    SHAWSHANK,
    TOY_STORY,
    csv_bytes,
    film,
    imdb_file,
    imdb_row,
)


def test_parse_imdb_export_halves_scores_and_keeps_dates():
    toy, shawshank = film(TOY_STORY), film(SHAWSHANK)
    data = imdb_file([imdb_row(toy, 7, "2020-01-02"), imdb_row(shawshank, 1)])

    parsed = parse_history(data)

    assert parsed.format == HistoryFormat.IMDB
    first, second = parsed.rows
    assert (first.number, first.imdb_id, first.title, first.year) == (
        1,
        toy.imdb_id,
        toy.title,
        toy.year,
    )
    assert first.score == Decimal("3.5")
    assert first.dated == date(2020, 1, 2)
    assert second.score == Decimal("0.5")
    assert first.watched_on is None


@pytest.mark.parametrize("original", [True, False])
def test_parse_imdb_export_with_or_without_original_title(original):
    data = imdb_file(
        [imdb_row(film(TOY_STORY), 10, original=original)], original=original
    )

    (row,) = parse_history(data).rows

    assert row.score == Decimal("5.0")
    assert row.problem is None


@pytest.mark.parametrize(
    ("title_type", "problem"),
    [
        ("TV Series", Problem.NOT_A_FILM),
        ("TV Episode", Problem.NOT_A_FILM),
        ("tvMiniSeries", Problem.NOT_A_FILM),
        ("Video Game", Problem.NOT_A_FILM),
        ("Movie", None),
        ("movie", None),
        ("TV Movie", None),
        ("Short", None),
    ],
)
def test_parse_imdb_title_types_other_than_films_are_problems(title_type, problem):
    data = imdb_file([imdb_row(film(TOY_STORY), 8, title_type=title_type)])

    (row,) = parse_history(data).rows

    assert row.problem == problem
    assert row.title == film(TOY_STORY).title
    assert row.year == film(TOY_STORY).year


@pytest.mark.parametrize("rating", ["0", "11", "7.5", "seven", ""])
def test_parse_imdb_rating_out_of_range_is_a_problem(rating):
    data = imdb_file([imdb_row(film(TOY_STORY), rating)])

    (row,) = parse_history(data).rows

    assert row.problem == Problem.INVALID_RATING


def test_parse_any_column_order_and_quoted_fields_with_commas_and_newlines():
    review = 'Funny, sad,\nand "perfect".'
    header = ["Watched Date", "Review", "Tags", "Rewatch", "Rating", "Letterboxd URI"]
    header += ["Year", "Name", "Date"]
    data = csv_bytes(
        header,
        [
            [
                "2022-05-06",
                review,
                "a, b",
                "Yes",
                "4.5",
                "https://boxd.it/x",
                1995,
                "Toy Story, Again",
                "2022-05-07",
            ]
        ],
    )

    parsed = parse_history(data)

    assert parsed.format == HistoryFormat.LETTERBOXD_REVIEWS
    (row,) = parsed.rows
    assert row.review == review
    assert row.title == "Toy Story, Again"
    assert row.watched_on == date(2022, 5, 6)
    assert row.dated == date(2022, 5, 7)
    assert row.score == Decimal("4.5")


def test_parse_strips_a_byte_order_mark():
    data = "\ufeff".encode() + imdb_file([imdb_row(film(TOY_STORY), 6)])

    parsed = parse_history(data)

    assert parsed.format == HistoryFormat.IMDB
    assert parsed.rows[0].imdb_id == film(TOY_STORY).imdb_id


@pytest.mark.parametrize(
    ("header", "filename", "expected"),
    [
        (LETTERBOXD_RATINGS_HEADER, "ratings.csv", HistoryFormat.LETTERBOXD_RATINGS),
        (LETTERBOXD_DIARY_HEADER, "diary.csv", HistoryFormat.LETTERBOXD_DIARY),
        (LETTERBOXD_REVIEWS_HEADER, "reviews.csv", HistoryFormat.LETTERBOXD_REVIEWS),
        (LETTERBOXD_LIST_HEADER, "watched.csv", HistoryFormat.LETTERBOXD_WATCHED),
        (LETTERBOXD_LIST_HEADER, "watchlist.csv", HistoryFormat.LETTERBOXD_WATCHLIST),
        (LETTERBOXD_LIST_HEADER, "", HistoryFormat.LETTERBOXD_WATCHED),
        (["Title", "Year", "Rating10"], "", HistoryFormat.LETTERBOXD_IMPORT),
        (["imdbID", "WatchedDate"], "", HistoryFormat.LETTERBOXD_IMPORT),
        (["LetterboxdURI", "Rating"], "", None),
        (["Title", "Author", "ISBN"], "", None),
        (["movieId", "title", "genres"], "", None),
    ],
)
def test_recognise_format_by_header(header, filename, expected):
    columns = {name.casefold() for name in header}

    assert recognise_format(columns, filename=filename) == expected


def test_parse_letterboxd_import_format_reads_ids_and_rating10():
    header = ["tmdbID", "imdbID", "Title", "Year", "Rating10", "WatchedDate", "Date"]
    toy = film(TOY_STORY)
    data = csv_bytes(
        header,
        [
            [
                toy.tmdb_id,
                toy.imdb_id.removeprefix("tt"),
                toy.title,
                toy.year,
                9,
                "",
                "2019-01-01",
            ],
            ["", "", film(JUMANJI).title, 1995, "", "2019-02-03", ""],
        ],
    )

    rating, entry = parse_history(data).rows

    assert (rating.tmdb_id, rating.imdb_id) == (toy.tmdb_id, toy.imdb_id)
    assert rating.score == Decimal("4.5")
    assert not rating.is_diary_entry
    assert entry.is_diary_entry
    assert entry.score is None
    assert entry.watched_on == date(2019, 2, 3)


def test_parse_letterboxd_ratings_row_without_a_rating_is_a_problem():
    data = csv_bytes(LETTERBOXD_RATINGS_HEADER, [["2020-01-01", "Heat", 1995, "u", ""]])

    (row,) = parse_history(data).rows

    assert row.problem == Problem.INVALID_RATING
    assert row.year == 1995


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        (
            ["2020-01-01", "Heat", "1995", "u", "4.3", "", "", "2020-01-01"],
            Problem.INVALID_RATING,
        ),
        (
            ["2020-01-01", "Heat", "1995", "u", "4", "", "", "01/02/2020"],
            Problem.INVALID_DATE,
        ),
        (
            ["2020-01-01", "Heat", "199x", "u", "4", "", "", "2020-01-01"],
            Problem.INVALID_YEAR,
        ),
        (["2020-01-01", "", "", "u", "4", "", "", "2020-01-01"], Problem.NO_TITLE),
    ],
)
def test_parse_unreadable_cells_are_problems_of_their_row(cells, problem):
    data = csv_bytes(LETTERBOXD_DIARY_HEADER, [cells])

    (row,) = parse_history(data).rows

    assert row.problem == problem


def test_parse_a_watched_date_in_the_future_is_a_problem():
    tomorrow = (timezone.localdate() + timedelta(days=2)).isoformat()
    data = csv_bytes(
        LETTERBOXD_DIARY_HEADER,
        [["2020-01-01", "Heat", 1995, "u", "4", "", "", tomorrow]],
    )

    (row,) = parse_history(data).rows

    assert row.problem == Problem.INVALID_DATE


def test_parse_review_over_the_limit_is_a_problem():
    data = csv_bytes(
        LETTERBOXD_REVIEWS_HEADER,
        [["2020-01-01", "Heat", 1995, "u", "4", "", "x" * 2001, "", "2020-01-01"]],
    )

    (row,) = parse_history(data).rows

    assert row.problem == Problem.INVALID_REVIEW


def test_parse_skips_blank_lines_and_numbers_data_rows_from_one():
    data = csv_bytes(LETTERBOXD_RATINGS_HEADER, [])
    data += b"\r\n2020-01-01,Heat,1995,u,4\r\n\r\n2020-01-02,Jumanji,1995,u,3\r\n"

    rows = parse_history(data).rows

    assert [(row.number, row.title) for row in rows] == [(1, "Heat"), (2, "Jumanji")]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"\xef\xbb\xbf", "empty_file"),
        (b"\n\n", "empty_file"),
        (b"Date,Name,Year,Letterboxd URI,Rating\n", "empty_file"),
        (
            "Date,Name,Year,Letterboxd URI\n2020-01-01,Amélie,2001,u\n".encode(
                "latin-1"
            ),
            "not_utf8",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_utf8"),
        (b"Date,Name\x00,Year\n", "not_csv"),
        (
            b'Date,Name,Year,Letterboxd URI,Rating\n2020-01-01,"Heat,1995,u,4\n',
            "not_csv",
        ),
        (b'{"ratings": [1, 2, 3]}', "unknown_format"),
        (b"movieId,title,genres\n1,Toy Story (1995),Comedy\n", "unknown_format"),
    ],
)
def test_parse_bad_files_are_errors(data, code):
    with pytest.raises(HistoryFileError) as raised:
        parse_history(data, filename="upload.csv")

    assert raised.value.code == code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tt0114709", "tt0114709"),
        ("0114709", "tt0114709"),
        ("114709", "tt0114709"),
        ("TT0114709", "tt0114709"),
        ("tt12345678", "tt12345678"),
        ("", None),
        ("tt", None),
        ("nm0000123", None),
        ("tt0", None),
    ],
)
def test_imdb_id_with_or_without_prefix(text, expected):
    assert imdb_id(text) == expected
