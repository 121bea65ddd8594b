"""``movies/{id}/ratings/`` (everyone's) and ``movies/{id}/rating/`` (yours)."""

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from movies.models import Movie
from movies.tests.factories import MovieFactory
from ratings.models import Rating
from ratings.tests.factories import RatingFactory

pytestmark = pytest.mark.django_db

RATINGS = "ratings:movie-ratings"
RATING = "ratings:movie-rating"


@pytest.fixture
def movie():
    return MovieFactory.create()


@pytest.fixture
def rating(user, movie):
    """The ``user`` fixture's rating of ``movie`` (the owner in permission tables)."""
    return RatingFactory.create(user=user, movie=movie, score=Decimal(4), review="ok")


@pytest.fixture
def clients(api_client, client_for, user, other_user, admin_user):
    return {
        "anonymous": api_client,
        "basic": client_for(other_user),
        "owner": client_for(user),
        "admin": client_for(admin_user),
    }


def _missing_movie_id() -> int:
    movie = MovieFactory.create()
    Movie.objects.filter(pk=movie.pk).delete()
    return movie.pk


@pytest.mark.parametrize(
    ("route", "method", "caller", "expected"),
    [
        (RATINGS, "get", "anonymous", HTTPStatus.OK),
        (RATINGS, "get", "basic", HTTPStatus.OK),
        (RATINGS, "get", "owner", HTTPStatus.OK),
        (RATINGS, "get", "admin", HTTPStatus.OK),
        (RATING, "get", "anonymous", HTTPStatus.UNAUTHORIZED),
        (RATING, "get", "basic", HTTPStatus.NOT_FOUND),
        (RATING, "get", "owner", HTTPStatus.OK),
        (RATING, "get", "admin", HTTPStatus.NOT_FOUND),
        (RATING, "put", "anonymous", HTTPStatus.UNAUTHORIZED),
        (RATING, "put", "basic", HTTPStatus.CREATED),
        (RATING, "put", "owner", HTTPStatus.OK),
        (RATING, "put", "admin", HTTPStatus.CREATED),
        (RATING, "delete", "anonymous", HTTPStatus.UNAUTHORIZED),
        (RATING, "delete", "basic", HTTPStatus.NOT_FOUND),
        (RATING, "delete", "owner", HTTPStatus.NO_CONTENT),
        (RATING, "delete", "admin", HTTPStatus.NOT_FOUND),
    ],
)
def test_movie_rating_routes_permissions(
    clients, rating, route, method, caller, expected, assert_aggregates_exact
):
    url = reverse(route, args=[rating.movie_id])

    response = getattr(clients[caller], method)(url, {"score": 2.5})

    assert response.status_code == expected, response.content
    assert Rating.objects.filter(pk=rating.pk).exists() == (
        expected != HTTPStatus.NO_CONTENT
    )
    if method == "put" and caller != "anonymous":
        assert response.json()["score"] == 2.5
    assert_aggregates_exact()


@pytest.mark.parametrize(
    ("route", "method"),
    [(RATINGS, "get"), (RATING, "get"), (RATING, "put"), (RATING, "delete")],
)
def test_movie_rating_routes_of_unknown_movie_are_404(user_client, route, method):
    url = reverse(route, args=[_missing_movie_id()])

    response = getattr(user_client, method)(url, {"score": 3})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert set(response.json()) == {"detail", "code", "fields"}


def test_movie_rating_put_to_unknown_movie_with_bad_body_is_still_404(user_client):
    url = reverse(RATING, args=[_missing_movie_id()])

    response = user_client.put(url, {"score": "bad"})

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_movie_rating_put_creates_then_updates(
    user, user_client, movie, assert_aggregates_exact
):
    url = reverse(RATING, args=[movie.pk])

    created = user_client.put(url, {"score": 4.5, "review": "Great."})
    updated = user_client.put(url, {"score": 2})

    assert created.status_code == HTTPStatus.CREATED
    assert updated.status_code == HTTPStatus.OK
    assert created.json()["id"] == updated.json()["id"]
    assert created.json()["movie"] == movie.pk
    assert created.json()["user"]["id"] == user.pk
    assert created.json()["user"]["ratings_count"] == 1
    assert (updated.json()["score"], updated.json()["review"]) == (2.0, "Great.")
    movie.refresh_from_db()
    assert (movie.rating_count, movie.average_rating) == (1, 2.0)
    assert movie.rating_distribution["4.5"] == 0
    assert movie.rating_distribution["2.0"] == 1
    assert_aggregates_exact()


def test_movie_rating_put_with_empty_review_clears_it(user_client, rating):
    url = reverse(RATING, args=[rating.movie_id])

    response = user_client.put(url, {"score": 4, "review": ""})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["review"] == ""
    rating.refresh_from_db()
    assert rating.review == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "score"),
        ({"score": "4"}, "score"),
        ({"score": 4.25}, "score"),
        ({"score": 0}, "score"),
        ({"score": None}, "score"),
        ({"score": 4, "review": "x" * 2001}, "review"),
        ({"score": 4, "review": "\x00"}, "review"),
        ({"score": 4, "review": None}, "review"),
    ],
)
def test_movie_rating_put_with_invalid_body_names_the_field(
    user_client, rating, body, field
):
    response = user_client.put(reverse(RATING, args=[rating.movie_id]), body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == [field]
    rating.refresh_from_db()
    assert (rating.score, rating.review) == (Decimal(4), "ok")


def test_movie_rating_get_returns_your_rating(user_client, rating):
    response = user_client.get(reverse(RATING, args=[rating.movie_id]))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert (body["id"], body["score"], body["review"]) == (rating.pk, 4.0, "ok")


def test_movie_rating_delete_then_get_is_404(
    user_client, rating, assert_aggregates_exact
):
    url = reverse(RATING, args=[rating.movie_id])

    deleted = user_client.delete(url)
    again = user_client.delete(url)
    read = user_client.get(url)

    assert deleted.status_code == HTTPStatus.NO_CONTENT
    assert (again.status_code, read.status_code) == (HTTPStatus.NOT_FOUND,) * 2
    assert_aggregates_exact()


def test_movie_ratings_list_shows_everyone_with_public_users(
    api_client, movie, rating, other_user
):
    other = RatingFactory.create(user=other_user, movie=movie, score=Decimal("1.5"))
    RatingFactory.create()  # Another movie's rating is not listed.

    response = api_client.get(reverse(RATINGS, args=[movie.pk]))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [other.pk, rating.pk]
    first = body["results"][0]
    assert set(first) == {"id", "user", "score", "review", "created_at", "updated_at"}
    assert first["user"] == {
        "id": other_user.pk,
        "username": other_user.username,
        "date_joined": first["user"]["date_joined"],
        "ratings_count": 1,
    }
    assert first["score"] == 1.5


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (None, ["d", "c", "b", "a"]),
        ("", ["d", "c", "b", "a"]),
        ("-updated_at", ["d", "c", "b", "a"]),
        ("score", ["d", "b", "c", "a"]),
        ("-score", ["a", "c", "d", "b"]),
    ],
)
def test_movie_ratings_list_ordering(api_client, movie, ordering, expected):
    # Created in order a, b, c, d; equal scores list the most recent first.
    scores = {"a": "5.0", "b": "1.0", "c": "3.0", "d": "1.0"}
    ratings = {
        name: RatingFactory.create(movie=movie, score=Decimal(score))
        for name, score in scores.items()
    }
    names = {rating.pk: name for name, rating in ratings.items()}
    params = {} if ordering is None else {"ordering": ordering}

    response = api_client.get(reverse(RATINGS, args=[movie.pk]), params)

    assert response.status_code == HTTPStatus.OK
    assert [names[item["id"]] for item in response.json()["results"]] == expected


@pytest.mark.parametrize(
    "ordering", ["updated_at", "user", "id", "random", ",", "score,", ",-score"]
)
def test_movie_ratings_list_with_unknown_ordering_is_a_400(api_client, movie, ordering):
    response = api_client.get(reverse(RATINGS, args=[movie.pk]), {"ordering": ordering})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["ordering"]


@pytest.mark.parametrize("rows", [1, 20])
def test_movie_ratings_list_queries_do_not_grow_with_rows(
    api_client, movie, django_assert_num_queries, rows
):
    RatingFactory.create_batch(rows, movie=movie)

    # The movie (with its stored rating count), then the page with its authors
    # (with their stored ratings counts): nothing counted, however many
    # ratings the movie or its raters have.
    with django_assert_num_queries(2) as captured:
        response = api_client.get(reverse(RATINGS, args=[movie.pk]))

    assert response.json()["count"] == rows
    assert len(response.json()["results"]) == rows
    assert {item["user"]["ratings_count"] for item in response.json()["results"]} == {1}
    assert not [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]


def test_movie_ratings_list_pages_through_every_rating(api_client, movie):
    RatingFactory.create_batch(5, movie=movie)
    RatingFactory.create()  # Another movie's rating is not counted.

    pages = [
        api_client.get(reverse(RATINGS, args=[movie.pk]), {"page_size": 2, "page": n})
        for n in (1, 2, 3, 4)
    ]

    assert [page.status_code for page in pages] == [200, 200, 200, 404]
    bodies = [page.json() for page in pages[:3]]
    assert {body["count"] for body in bodies} == {5}
    assert [len(body["results"]) for body in bodies] == [2, 2, 1]
    assert bodies[2]["next"] is None


@pytest.mark.parametrize(
    ("existing_score", "status", "statements"),
    [(None, HTTPStatus.CREATED, 7), (Decimal(2), HTTPStatus.OK, 6)],
    ids=["create", "update"],
)
@pytest.mark.django_db(transaction=True)  # Its own transaction, as in production.
def test_rating_upsert_runs_six_statements_and_a_seventh_for_a_new_rating(
    user,
    user_client,
    movie,
    django_assert_num_queries,
    existing_score,
    status,
    statements,
):
    if existing_score is not None:
        RatingFactory.create(user=user, movie=movie, score=existing_score)

    # The token's user; lock rater and movie (reading the rater's stored
    # ratings count); the rating (locked); write it; the movie's aggregates;
    # take it off the rater's watchlist; and for a new rating, the rater's
    # ratings count. The write transaction's BEGIN and COMMIT are logged too.
    with django_assert_num_queries(statements + 2):
        response = user_client.put(
            reverse(RATING, args=[movie.pk]), {"score": 4.5}, format="json"
        )

    assert response.status_code == status
    assert response.json()["user"]["ratings_count"] == 1
    movie.refresh_from_db()
    assert (movie.rating_count, movie.rating_sum) == (1, Decimal("4.5"))


@pytest.mark.parametrize(
    ("route", "method"),
    [
        (RATINGS, "get"),
        (RATING, "get"),
        (RATING, "put"),
        (RATING, "delete"),
        ("ratings:rating-detail", "get"),
        ("ratings:rating-detail", "delete"),
        ("ratings:user-ratings", "get"),
    ],
)
def test_routes_with_an_id_beyond_any_integer_column_are_404(
    user_client, route, method
):
    url = reverse(route, args=[10**30])

    response = getattr(user_client, method)(url, {"score": 3})

    assert response.status_code == HTTPStatus.NOT_FOUND
