"""``POST users/me/imports/`` with real-format files built from MovieLens."""

from datetime import UTC, date, datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from diary.models import DiaryEntry
from imports.tests.conftest import upload_file
from imports.tests.history_files import (
    EMMA_A,
    EMMA_B,
    FIGHT_CLUB,
    FORREST_GUMP,
    HEAT,
    JUMANJI,
    LETTERBOXD_DIARY_HEADER,
    LETTERBOXD_LIST_HEADER,
    LETTERBOXD_RATINGS_HEADER,
    LETTERBOXD_REVIEWS_HEADER,
    MATRIX,
    PULP_FICTION,
    SHAWSHANK,
    TOY_STORY,
    csv_bytes,
    film,
    imdb_file,
    imdb_row,
)
from movies.models import Movie
from movies.tests.factories import MovieFactory
from movies.tests.helpers import catalogue_version
from ratings.models import Rating
from ratings.services import rating_create
from watchlist.models import WatchlistEntry
from watchlist.services import watchlist_add

pytestmark = pytest.mark.django_db

URL = "imports:history-import"


def _ratings(user) -> dict[int | None, tuple[Decimal, str, date]]:
    """Return {movieId: (score, review, created_at date)} of ``user``'s ratings."""
    return {
        r.movie.movielens_id: (r.score, r.review, r.created_at.date())
        for r in Rating.objects.filter(user=user).select_related("movie")
    }


def _diary(user) -> list[tuple[int | None, date, Decimal | None, str]]:
    return sorted(
        (e.movie.movielens_id, e.watched_on, e.score, e.review)
        for e in DiaryEntry.objects.filter(user=user).select_related("movie")
    )


def _nothing_written(user) -> bool:
    return not (
        Rating.objects.filter(user=user).exists()
        or DiaryEntry.objects.filter(user=user).exists()
        or WatchlistEntry.objects.filter(user=user).exists()
    )


def _imdb_export(*, original: bool) -> bytes:
    rows = [
        imdb_row(film(TOY_STORY), 7, "2019-05-04", original=original),
        imdb_row(film(SHAWSHANK), 10, "2020-01-31", original=original),
        imdb_row(film(HEAT), 1, "2018-12-24", original=original),
        imdb_row(film(MATRIX), 8, "2021-07-01", original=original),
    ]
    # A series and an episode, as IMDb exports them beside films.
    twin_peaks = imdb_row(film(JUMANJI), 9, original=original, title_type="TV Series")
    twin_peaks[0], twin_peaks[3] = "tt0098936", "Twin Peaks"
    episode = imdb_row(film(JUMANJI), 8, original=original, title_type="TV Episode")
    episode[0], episode[3] = "tt0583459", "Pilot"
    rows.insert(1, twin_peaks)
    rows.append(episode)
    return imdb_file(rows, original=original)


@pytest.mark.parametrize("original", [True, False], ids=["original", "no-original"])
def test_import_imdb_export_rates_films_and_reports_tv_rows(
    catalogue, user, upload, assert_aggregates_exact, original
):
    response = upload(_imdb_export(original=original))

    assert response.status_code == HTTPStatus.CREATED, response.data
    report = response.json()
    assert report["format"] == "imdb"
    assert report["rows"] == 6
    assert (report["created"], report["updated"], report["unchanged"]) == (4, 0, 0)
    assert (report["diary_entries"], report["watchlisted"]) == (0, 0)
    assert report["unmatched"] == [
        {"row": 2, "title": "Twin Peaks", "year": 1995, "reason": "not_a_film"},
        {"row": 6, "title": "Pilot", "year": 1995, "reason": "not_a_film"},
    ]
    assert report["ambiguous"] == []
    assert _ratings(user) == {
        TOY_STORY: (Decimal("3.5"), "", date(2019, 5, 4)),
        SHAWSHANK: (Decimal("5.0"), "", date(2020, 1, 31)),
        HEAT: (Decimal("0.5"), "", date(2018, 12, 24)),
        MATRIX: (Decimal("4.0"), "", date(2021, 7, 1)),
    }
    assert_aggregates_exact()


def test_import_imdb_export_matches_a_film_the_catalogue_knows_only_by_title(
    catalogue, user, upload
):
    Movie.objects.filter(pk=catalogue[TOY_STORY].pk).update(imdb_id=None)

    response = upload(imdb_file([imdb_row(film(TOY_STORY), 6)]))

    assert response.json()["created"] == 1
    assert _ratings(user)[TOY_STORY][0] == Decimal("3.0")


def test_import_letterboxd_ratings_matches_by_title_and_year(catalogue, user, upload):
    rows = [
        ["2021-01-02", "The Shawshank Redemption", 1994, "https://boxd.it/29Vg", "4.5"],
        ["2021-01-03", "pulp fiction", 1994, "https://boxd.it/2a1m", "5"],
        # One year off, and the only film that close: matched.
        ["2021-01-04", "Forrest Gump", 1995, "https://boxd.it/2bJk", "3"],
        # A film the catalogue does not hold.
        ["2021-01-05", "Aftersun", 2022, "https://boxd.it/uY6c", "4.5"],
        # The right title, far from its year.
        ["2021-01-06", "Heat", 1986, "https://boxd.it/2aHi", "4"],
    ]

    response = upload(csv_bytes(LETTERBOXD_RATINGS_HEADER, rows))

    report = response.json()
    assert response.status_code == HTTPStatus.CREATED
    assert report["format"] == "letterboxd_ratings"
    assert report["created"] == 3
    assert [(u["row"], u["reason"]) for u in report["unmatched"]] == [
        (4, "not_found"),
        (5, "not_found"),
    ]
    assert _ratings(user) == {
        SHAWSHANK: (Decimal("4.5"), "", date(2021, 1, 2)),
        PULP_FICTION: (Decimal("5.0"), "", date(2021, 1, 3)),
        FORREST_GUMP: (Decimal("3.0"), "", date(2021, 1, 4)),
    }


def test_import_never_guesses_between_two_films_of_one_title_and_year(
    catalogue, user, upload
):
    assert (film(EMMA_A).title, film(EMMA_A).year) == ("Emma", 1996)
    assert (film(EMMA_B).title, film(EMMA_B).year) == ("Emma", 1996)
    rows = [
        ["2021-01-02", "Emma", 1996, "https://boxd.it/1", "4"],
        ["2021-01-02", "Emma", 1997, "https://boxd.it/2", "4"],
        ["2021-01-02", "Heat", 1995, "https://boxd.it/3", "4"],
    ]

    report = upload(csv_bytes(LETTERBOXD_RATINGS_HEADER, rows)).json()

    assert report["created"] == 1
    assert [(a["row"], a["title"], a["year"]) for a in report["ambiguous"]] == [
        (1, "Emma", 1996),
        (2, "Emma", 1997),
    ]
    candidates = report["ambiguous"][0]["candidates"]
    assert sorted(c["id"] for c in candidates) == sorted(
        [catalogue[EMMA_A].pk, catalogue[EMMA_B].pk]
    )
    assert set(candidates[0]) >= {
        "id",
        "title",
        "year",
        "genres",
        "average_rating",
        "weighted_rating",
        "rating_count",
    }
    assert list(_ratings(user)) == [HEAT]


def test_import_an_imdb_id_tells_apart_two_films_of_one_title(catalogue, user, upload):
    response = upload(imdb_file([imdb_row(film(EMMA_B), 6)]))

    assert response.json()["created"] == 1
    assert list(_ratings(user)) == [EMMA_B]


def test_import_letterboxd_diary_keeps_rewatches_and_rates_from_the_latest(
    catalogue, user, upload, assert_aggregates_exact
):
    rows = [
        # Two viewings of one film: two entries, the rating from the latest.
        ["2020-02-01", "Heat", 1995, "https://boxd.it/a1", "3", "", "", "2020-01-31"],
        [
            "2022-06-11",
            "Heat",
            1995,
            "https://boxd.it/a2",
            "4.5",
            "Yes",
            "",
            "2022-06-10",
        ],
        # A viewing without a score: an entry, no rating.
        ["2021-03-03", "Jumanji", 1995, "https://boxd.it/a3", "", "", "", "2021-03-02"],
    ]

    report = upload(csv_bytes(LETTERBOXD_DIARY_HEADER, rows)).json()

    assert report["format"] == "letterboxd_diary"
    assert (report["created"], report["diary_entries"]) == (1, 3)
    assert _ratings(user) == {HEAT: (Decimal("4.5"), "", date(2022, 6, 11))}
    assert _diary(user) == [
        (JUMANJI, date(2021, 3, 2), None, ""),
        (HEAT, date(2020, 1, 31), Decimal("3.0"), ""),
        (HEAT, date(2022, 6, 10), Decimal("4.5"), ""),
    ]
    assert_aggregates_exact()


def test_import_letterboxd_reviews_keep_review_text(catalogue, user, upload):
    review = 'A city "at night",\nand two men who are\tthe same.'
    rows = [
        [
            "2020-02-01",
            "Heat",
            1995,
            "https://boxd.it/r1",
            "5",
            "",
            review,
            "",
            "2020-01-30",
        ],
    ]

    report = upload(csv_bytes(LETTERBOXD_REVIEWS_HEADER, rows)).json()

    assert report["format"] == "letterboxd_reviews"
    assert _ratings(user) == {HEAT: (Decimal("5.0"), review, date(2020, 2, 1))}
    assert _diary(user) == [(HEAT, date(2020, 1, 30), Decimal("5.0"), review)]


def test_import_letterboxd_watched_matches_and_reports_but_writes_nothing(
    catalogue, user, upload
):
    rows = [
        ["2020-02-01", "Heat", 1995, "https://boxd.it/w1"],
        ["2020-02-01", "Nope", 2022, "https://boxd.it/w2"],
    ]

    response = upload(csv_bytes(LETTERBOXD_LIST_HEADER, rows), name="watched.csv")

    report = response.json()
    assert response.status_code == HTTPStatus.CREATED
    assert report["format"] == "letterboxd_watched"
    assert report["rows"] == 2
    assert [u["row"] for u in report["unmatched"]] == [2]
    assert _nothing_written(user)


def test_import_letterboxd_watchlist_adds_films_with_their_dates(
    catalogue, user, upload
):
    rows = [
        ["2020-02-01", "Heat", 1995, "https://boxd.it/l1"],
        ["2020-03-01", "The Matrix", 1999, "https://boxd.it/l2"],
    ]
    data = csv_bytes(LETTERBOXD_LIST_HEADER, rows)

    first = upload(data, name="watchlist.csv").json()
    again = upload(data, name="watchlist.csv").json()

    assert first["format"] == "letterboxd_watchlist"
    assert (first["watchlisted"], again["watchlisted"]) == (2, 0)
    added = dict(
        WatchlistEntry.objects.filter(user=user).values_list(
            "movie__movielens_id", "added_at"
        )
    )
    assert added == {
        HEAT: datetime(2020, 2, 1, tzinfo=UTC),
        MATRIX: datetime(2020, 3, 1, tzinfo=UTC),
    }
    assert not Rating.objects.filter(user=user).exists()


def test_import_letterboxd_import_format_reads_ratings_and_diary_rows(
    catalogue, user, upload
):
    toy, matrix, fight = film(TOY_STORY), film(MATRIX), film(FIGHT_CLUB)
    header = ["Title", "Year", "imdbID", "tmdbID", "Rating10", "WatchedDate", "Review"]
    rows: list[list[object]] = [
        ["", "", toy.imdb_id.removeprefix("tt"), "", 8, "", "Still."],
        ["", "", "", matrix.tmdb_id, 9, "2021-04-05", ""],
        [fight.title, fight.year, "", "", "", "", ""],
    ]

    report = upload(csv_bytes(header, rows)).json()

    assert report["format"] == "letterboxd_import"
    assert (report["created"], report["diary_entries"]) == (2, 1)
    ratings = _ratings(user)
    assert ratings[TOY_STORY][:2] == (Decimal("4.0"), "Still.")
    assert ratings[MATRIX] == (Decimal("4.5"), "", date(2021, 4, 5))
    assert FIGHT_CLUB not in ratings  # Seen, not rated: nothing to write.
    assert report["unmatched"] == []


def test_import_a_file_with_a_byte_order_mark(catalogue, user, upload):
    data = b"\xef\xbb\xbf" + imdb_file([imdb_row(film(HEAT), 8)])

    response = upload(data)

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["created"] == 1


def test_import_rating_takes_films_off_the_watchlist(catalogue, user, upload):
    watchlist_add(user=user, movie=catalogue[HEAT])
    watchlist_add(user=user, movie=catalogue[MATRIX])

    upload(imdb_file([imdb_row(film(HEAT), 8)]))

    assert list(
        WatchlistEntry.objects.filter(user=user).values_list(
            "movie__movielens_id", flat=True
        )
    ) == [MATRIX]


def test_import_again_reports_every_rating_unchanged(
    catalogue, user, upload, assert_aggregates_exact
):
    rows = [
        ["2020-02-01", "Heat", 1995, "https://boxd.it/a1", "3", "", "", "2020-01-31"],
        [
            "2022-06-11",
            "Heat",
            1995,
            "https://boxd.it/a2",
            "4.5",
            "Yes",
            "",
            "2022-06-10",
        ],
        [
            "2021-03-03",
            "Jumanji",
            1995,
            "https://boxd.it/a3",
            "2",
            "",
            "",
            "2021-03-02",
        ],
        ["2021-03-03", "Nope", 2022, "https://boxd.it/a4", "2", "", "", "2021-03-02"],
    ]
    data = csv_bytes(LETTERBOXD_DIARY_HEADER, rows)
    upload(data)
    ratings, diary = _ratings(user), _diary(user)

    again = upload(data).json()

    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert (again["diary_entries"], again["watchlisted"]) == (0, 0)
    assert len(again["unmatched"]) == 1
    assert (_ratings(user), _diary(user)) == (ratings, diary)
    assert_aggregates_exact()


def test_import_changes_a_rating_the_file_gives_otherwise(catalogue, user, upload):
    rating_create(user=user, movie=catalogue[HEAT], score=Decimal("2.0"), review="Meh")

    report = upload(imdb_file([imdb_row(film(HEAT), 9)])).json()

    assert (report["created"], report["updated"]) == (0, 1)
    assert _ratings(user)[HEAT][:2] == (Decimal("4.5"), "Meh")


def test_import_dry_run_reports_the_same_and_writes_nothing(
    catalogue, user, upload, assert_aggregates_exact
):
    data = _imdb_export(original=True)

    dry = upload(data, dry_run="true")

    assert dry.status_code == HTTPStatus.OK
    assert _nothing_written(user)
    assert Movie.objects.filter(rating_count__gt=0).count() == 0
    real = upload(data, dry_run="false")
    assert real.status_code == HTTPStatus.CREATED
    assert dry.json() == real.json()
    assert_aggregates_exact()


def test_import_invalidates_the_cache_once(catalogue, upload):
    before = catalogue_version()
    assert before is not None

    upload(_imdb_export(original=True))

    assert catalogue_version() == before + 1


def test_import_changes_what_the_catalogue_serves(catalogue, api_client, upload):
    detail = reverse("movies:movie-detail", args=[catalogue[HEAT].pk])
    assert api_client.get(detail).json()["rating_count"] == 0

    upload(imdb_file([imdb_row(film(HEAT), 8)]))

    assert api_client.get(detail).json()["rating_count"] == 1


# --- Bad files ----------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xef\xbb\xbf\r\n",
        "Date,Name,Year,Letterboxd URI\n2020-01-01,Amélie,2001,u\n".encode("latin-1"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        b"movieId,title,genres\n1,Toy Story (1995),Comedy\n",
        b'Date,Name,Year,Letterboxd URI,Rating\n2020-01-01,"Heat,1995,u,4\n',
        b"Const,Your Rating,Date Rated,Title\n",
    ],
    ids=["empty", "bom-only", "latin-1", "png", "unknown-header", "not-csv", "no-rows"],
)
def test_import_bad_file_is_a_400_and_writes_nothing(catalogue, user, upload, data):
    response = upload(data)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    assert list(body["fields"]) == ["file"]
    assert _nothing_written(user)


def test_import_latin_1_file_is_a_400_that_says_so(catalogue, user, upload):
    data = csv_bytes(LETTERBOXD_LIST_HEADER, [["2020-01-01", "Amélie", 2001, "u"]])

    response = upload(data.decode().encode("latin-1"), name="watchlist.csv")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "UTF-8" in response.json()["fields"]["file"][0]
    assert _nothing_written(user)


def test_import_file_over_5_mb_is_a_413_and_writes_nothing(catalogue, user, upload):
    row = imdb_row(film(HEAT), 8)
    row_size = len(imdb_file([row, row])) - len(imdb_file([row]))
    data = imdb_file([row] * (5 * 1024 * 1024 // row_size))
    while len(data) <= 5 * 1024 * 1024:
        data = imdb_file([row] * (data.count(b"\n") + 1))
    # Past the file limit, within what the request may carry around it.
    assert len(data) < 5 * 1024 * 1024 + 1024

    response = upload(data)

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json()["code"] == "request_too_large"
    assert _nothing_written(user)


def test_import_body_far_over_the_limit_is_refused_before_it_is_read(
    catalogue, user, upload
):
    data = imdb_file([imdb_row(film(HEAT), 8)] * 50_000)
    assert len(data) > 5 * 1024 * 1024 + 64 * 1024

    response = upload(data)

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json()["code"] == "request_too_large"
    assert _nothing_written(user)


def test_import_file_at_the_limit_is_read(catalogue, user, upload, settings):
    settings.IMPORT_MAX_FILE_BYTES = 2000
    data = imdb_file([imdb_row(film(HEAT), 8)])
    data += b" " * (2000 - len(data))

    assert upload(data).status_code == HTTPStatus.CREATED
    assert upload(data + b" ").status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_only_the_import_takes_bodies_over_the_global_limit(user_client, settings):
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = user_client.post(
        reverse("ratings:rating-list"), data=body, content_type="application/json"
    )

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_import_without_a_file_is_a_400(user_client):
    response = user_client.post(reverse(URL), {"dry_run": "true"}, format="multipart")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "file" in response.json()["fields"]


def test_import_with_an_invalid_dry_run_is_a_400(catalogue, user, upload):
    response = upload(imdb_file([imdb_row(film(HEAT), 8)]), dry_run="perhaps")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "dry_run" in response.json()["fields"]
    assert _nothing_written(user)


def test_import_json_body_is_a_415(user_client):
    response = user_client.post(reverse(URL), {"file": "x"}, format="json")

    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE


def test_import_needs_a_token(api_client):
    response = upload_file(api_client, imdb_file([imdb_row(film(HEAT), 8)]))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "WWW-Authenticate" in response


def test_import_writes_only_the_callers_account(
    catalogue, user, other_user, client_for
):
    upload_file(client_for(other_user), imdb_file([imdb_row(film(HEAT), 8)]))

    assert _nothing_written(user)
    assert list(_ratings(other_user)) == [HEAT]


def test_import_a_movie_without_year_in_the_catalogue(user, upload):
    MovieFactory.create(title="Koyaanisqatsi", year=None)

    rows = [["2020-02-01", "Koyaanisqatsi", "", "https://boxd.it/k", "4"]]
    report = upload(csv_bytes(LETTERBOXD_RATINGS_HEADER, rows)).json()

    assert report["created"] == 1


@pytest.mark.parametrize("name", ["imports:history-import", "imports:history-export"])
def test_options_describes_the_route(user_client, name):
    response = user_client.options(reverse(name))

    assert response.status_code == HTTPStatus.OK
