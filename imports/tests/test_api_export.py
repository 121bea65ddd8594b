"""``GET users/me/export/``: CSV in Letterboxd's import format, and JSON."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from diary.models import DiaryEntry
from diary.tests.factories import DiaryEntryFactory
from imports.tests.conftest import upload_file
from imports.tests.history_files import (
    HEAT,
    JUMANJI,
    LETTERBOXD_REVIEWS_HEADER,
    MATRIX,
    SHAWSHANK,
    csv_bytes,
)
from movies.tests.factories import MovieFactory
from ratings.models import Rating
from ratings.services import rating_create
from watchlist.services import watchlist_add

pytestmark = pytest.mark.django_db

URL = reverse("imports:history-export")
HEADER = "imdbID,tmdbID,Title,Year,Rating,WatchedDate,Rewatch,Review,Date"


def _csv(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_export_csv_is_a_streamed_attachment_in_letterboxd_import_format(
    user, user_client
):
    movie = MovieFactory.create(title="Heat, or: L.A.", year=1995, imdb_id="tt0113277")
    review = 'Long, "tense",\nand the diner scene.'
    rating = rating_create(user=user, movie=movie, score=Decimal("4.5"), review=review)
    Rating.objects.filter(pk=rating.pk).update(
        created_at=datetime(2020, 5, 6, 23, 30, tzinfo=UTC)
    )
    DiaryEntryFactory.create(
        user=user, movie=movie, watched_on=date(2019, 1, 2), score=Decimal("3.0")
    )
    DiaryEntryFactory.create(
        user=user, movie=movie, watched_on=date(2020, 5, 5), review="Again."
    )

    response = user_client.get(URL)

    assert response.status_code == HTTPStatus.OK
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0] == HEADER
    rows = list(csv.DictReader(io.StringIO(text)))
    common = {"imdbID": "tt0113277", "tmdbID": str(movie.tmdb_id)}
    common |= {"Title": "Heat, or: L.A.", "Year": "1995"}
    assert rows == [
        common
        | {
            "Rating": "4.5",
            "WatchedDate": "",
            "Rewatch": "",
            "Review": review,
            "Date": "2020-05-06",
        },
        common
        | {
            "Rating": "3.0",
            "WatchedDate": "2019-01-02",
            "Rewatch": "false",
            "Review": "",
            "Date": "",
        },
        common
        | {
            "Rating": "",
            "WatchedDate": "2020-05-05",
            "Rewatch": "true",
            "Review": "Again.",
            "Date": "",
        },
    ]


def test_export_json_holds_ratings_diary_and_watchlist(user, user_client):
    rated, seen, wanted = MovieFactory.create_batch(3)
    rating_create(user=user, movie=rated, score=Decimal("2.5"), review="No.")
    DiaryEntryFactory.create(user=user, movie=seen, watched_on=date(2021, 2, 3))
    watchlist_add(user=user, movie=wanted)

    response = user_client.get(URL, {"format": "json"})

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert set(body) == {"ratings", "diary", "watchlist"}
    first = body["ratings"][0]
    assert first["movie"] == {
        "id": rated.pk,
        "title": rated.title,
        "year": rated.year,
        "imdb_id": rated.imdb_id,
        "tmdb_id": rated.tmdb_id,
    }
    assert (first["score"], first["review"]) == (2.5, "No.")
    assert set(first) == {"movie", "score", "review", "created_at", "updated_at"}
    assert body["diary"] == [
        {
            "movie": {
                "id": seen.pk,
                "title": seen.title,
                "year": seen.year,
                "imdb_id": seen.imdb_id,
                "tmdb_id": seen.tmdb_id,
            },
            "watched_on": "2021-02-03",
            "score": None,
            "review": "",
        }
    ]
    assert [entry["movie"]["id"] for entry in body["watchlist"]] == [wanted.pk]
    assert set(body["watchlist"][0]) == {"movie", "added_at"}


def test_export_holds_only_the_callers_history(user, other_user, user_client):
    rating_create(user=other_user, movie=MovieFactory.create(), score=Decimal("3.0"))

    assert _csv(user_client.get(URL)) == []
    assert user_client.get(URL, {"format": "json"}).json() == {
        "ratings": [],
        "diary": [],
        "watchlist": [],
    }


@pytest.mark.parametrize("value", ["", "csv"])
def test_export_format_csv_is_the_default(user_client, value):
    response = user_client.get(URL, {"format": value})

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize("value", ["xml", "CSV", "api"])
def test_export_unknown_format_is_a_400(user_client, value):
    response = user_client.get(URL, {"format": value})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["format"]


def test_export_needs_a_token(api_client):
    response = api_client.get(URL)

    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize("rows", [1, 20])
@pytest.mark.parametrize("export_format", ["csv", "json"])
def test_export_queries_do_not_grow_with_rows(
    user, user_client, django_assert_num_queries, rows, export_format
):
    for movie in MovieFactory.create_batch(rows):
        rating_create(user=user, movie=movie, score=Decimal("3.0"))
        DiaryEntryFactory.create(user=user, movie=movie)
        watchlist_add(user=user, movie=MovieFactory.create())

    # The token's user, then ratings and diary (and the watchlist in JSON).
    with django_assert_num_queries(3 if export_format == "csv" else 4):
        response = user_client.get(URL, {"format": export_format})
        if response.streaming:
            assert len(_csv(response)) == 2 * rows
        else:
            assert len(response.json()["ratings"]) == rows


def test_export_then_import_into_another_account_gives_the_same_history(
    catalogue, user, other_user, user_client, client_for
):
    review = 'Two men, "one city",\nnever the same.'
    rows = [
        [
            "2020-02-01",
            "Heat",
            1995,
            "https://boxd.it/a",
            "3",
            "",
            "",
            "",
            "2020-01-31",
        ],
        [
            "2022-06-11",
            "Heat",
            1995,
            "https://boxd.it/b",
            "4.5",
            "Yes",
            review,
            "",
            "2022-06-10",
        ],
        [
            "2021-03-03",
            "Jumanji",
            1995,
            "https://boxd.it/c",
            "",
            "",
            "Fun.",
            "",
            "2021-03-02",
        ],
        ["2019-07-08", "The Matrix", 1999, "https://boxd.it/d", "5", "", "", "", ""],
    ]
    upload_file(user_client, csv_bytes(LETTERBOXD_REVIEWS_HEADER, rows))
    rating_create(
        user=user, movie=catalogue[SHAWSHANK], score=Decimal("4.0"), review="Hope."
    )
    exported = b"".join(user_client.get(URL).streaming_content)

    response = upload_file(client_for(other_user), exported, name="export.csv")

    assert response.status_code == HTTPStatus.CREATED
    report = response.json()
    assert (report["unmatched"], report["ambiguous"]) == ([], [])
    assert report["created"] == 3

    def history(owner):
        ratings = sorted(
            (r.movie_id, r.score, r.review, r.created_at.date())
            for r in Rating.objects.filter(user=owner)
        )
        diary = sorted(
            (e.movie_id, e.watched_on, e.score, e.review)
            for e in DiaryEntry.objects.filter(user=owner)
        )
        return ratings, diary

    assert history(other_user) == history(user)
    ratings, diary = history(user)
    assert len(ratings) == 3
    assert len(diary) == 3
    assert {m for m, *_ in ratings} == {
        catalogue[HEAT].pk,
        catalogue[MATRIX].pk,
        catalogue[SHAWSHANK].pk,
    }
    assert catalogue[JUMANJI].pk in {m for m, *_ in diary}
    # And once more: the second account's export is the first one's.
    again = b"".join(client_for(other_user).get(URL).streaming_content)
    assert again == exported
