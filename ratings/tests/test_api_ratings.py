"""``/api/v1/ratings/``: list, create, retrieve, update, delete."""

import json
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from movies.models import Movie
from movies.tests.factories import MovieFactory
from ratings.models import Rating
from ratings.tests.factories import RatingFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "ratings:rating-list"
DETAIL = "ratings:rating-detail"


@pytest.fixture
def rating(user):
    """A rating owned by the ``user`` fixture (the owner in permission tables)."""
    return RatingFactory.create(user=user, score=Decimal("3.5"), review="good")


@pytest.fixture
def clients(api_client, client_for, user, other_user, admin_user):
    return {
        "anonymous": api_client,
        "basic": client_for(other_user),
        "owner": client_for(user),
        "admin": client_for(admin_user),
    }


@pytest.mark.parametrize(
    ("method", "caller", "expected"),
    [
        ("get", "anonymous", HTTPStatus.OK),
        ("get", "basic", HTTPStatus.OK),
        ("get", "owner", HTTPStatus.OK),
        ("get", "admin", HTTPStatus.OK),
        ("put", "anonymous", HTTPStatus.UNAUTHORIZED),
        ("put", "basic", HTTPStatus.FORBIDDEN),
        ("put", "owner", HTTPStatus.OK),
        ("put", "admin", HTTPStatus.FORBIDDEN),
        ("patch", "anonymous", HTTPStatus.UNAUTHORIZED),
        ("patch", "basic", HTTPStatus.FORBIDDEN),
        ("patch", "owner", HTTPStatus.OK),
        ("patch", "admin", HTTPStatus.FORBIDDEN),
        ("delete", "anonymous", HTTPStatus.UNAUTHORIZED),
        ("delete", "basic", HTTPStatus.FORBIDDEN),
        ("delete", "owner", HTTPStatus.NO_CONTENT),
        ("delete", "admin", HTTPStatus.NO_CONTENT),
    ],
)
def test_rating_detail_permissions(
    clients, rating, method, caller, expected, assert_aggregates_exact
):
    url = reverse(DETAIL, args=[rating.pk])

    response = getattr(clients[caller], method)(url, {"score": 1.0})

    assert response.status_code == expected, response.content
    rating_exists = Rating.objects.filter(pk=rating.pk).exists()
    assert rating_exists == (expected != HTTPStatus.NO_CONTENT)
    if expected in {HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN}:
        rating.refresh_from_db()
        assert rating.score == Decimal("3.5")
        assert set(response.json()) == {"detail", "code", "fields"}
    assert_aggregates_exact()


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("anonymous", HTTPStatus.UNAUTHORIZED),
        ("basic", HTTPStatus.OK),
        ("owner", HTTPStatus.OK),
        ("admin", HTTPStatus.OK),
    ],
)
def test_rating_list_permissions(clients, rating, caller, expected):
    response = clients[caller].get(reverse(LIST))

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("anonymous", HTTPStatus.UNAUTHORIZED),
        ("basic", HTTPStatus.CREATED),
        ("owner", HTTPStatus.CREATED),
        ("admin", HTTPStatus.CREATED),
    ],
)
def test_rating_create_permissions(clients, caller, expected):
    movie = MovieFactory.create()

    response = clients[caller].post(reverse(LIST), {"movie": movie.pk, "score": 4})

    assert response.status_code == expected
    assert Rating.objects.filter(movie=movie).exists() == (
        expected == HTTPStatus.CREATED
    )


def test_rating_create_returns_the_rating_with_numbers(user, user_client):
    movie = MovieFactory.create()

    response = user_client.post(
        reverse(LIST), {"movie": movie.pk, "score": 3, "review": "Solid."}
    )

    assert response.status_code == HTTPStatus.CREATED
    body = json.loads(response.content)
    assert body["movie"] == movie.pk
    assert body["score"] == 3.0
    assert isinstance(body["score"], float)
    assert b'"score":3.0' in response.content
    assert body["review"] == "Solid."
    assert body["user"] == {
        "id": user.pk,
        "username": user.username,
        "date_joined": body["user"]["date_joined"],
        "ratings_count": 1,
    }
    assert set(body) == {
        "id",
        "movie",
        "user",
        "score",
        "review",
        "created_at",
        "updated_at",
    }
    movie.refresh_from_db()
    assert (movie.rating_count, movie.average_rating) == (1, 3.0)


def test_rating_create_twice_for_same_movie_is_a_movie_error(user_client, rating):
    rating_client = user_client

    response = rating_client.post(reverse(LIST), {"movie": rating.movie_id, "score": 1})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["movie"]
    assert Rating.objects.filter(movie=rating.movie).count() == 1


_BAD_SCORES = [
    "4.5",
    "",
    True,
    False,
    None,
    [],
    {},
    0,
    0.25,
    0.4999,
    4.3,
    5.5,
    -1,
    10**20,
    1e300,
]


@pytest.mark.parametrize("score", _BAD_SCORES)
def test_rating_create_with_invalid_score_is_a_score_error(user_client, score):
    movie = MovieFactory.create()

    response = user_client.post(reverse(LIST), {"movie": movie.pk, "score": score})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["score"]
    assert not Rating.objects.exists()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_rating_create_with_non_finite_score_is_a_400(user_client, literal):
    movie = MovieFactory.create()
    body = f'{{"movie": {movie.pk}, "score": {literal}}}'

    response = user_client.post(reverse(LIST), body, content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Rating.objects.exists()


@pytest.mark.parametrize("score", [0.5, 1, 2.5, 5, 5.0])
def test_rating_create_accepts_every_half_star_form(user_client, score):
    movie = MovieFactory.create()

    response = user_client.post(reverse(LIST), {"movie": movie.pk, "score": score})

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["score"] == float(score)


@pytest.mark.parametrize("review", ["x" * 2001, "nul \x00 byte", 42, ["list"], None])
def test_rating_create_with_invalid_review_is_a_review_error(user_client, review):
    movie = MovieFactory.create()

    response = user_client.post(
        reverse(LIST), {"movie": movie.pk, "score": 4, "review": review}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["review"]


def test_rating_create_with_longest_review_is_accepted(user_client):
    movie = MovieFactory.create()

    response = user_client.post(
        reverse(LIST), {"movie": movie.pk, "score": 4, "review": "é" * 2000}
    )

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["review"] == "é" * 2000


@pytest.mark.parametrize("movie", ["1", 1.5, True, None, 0, -3, 2**64, "abc", [1]])
def test_rating_create_with_invalid_movie_is_a_movie_error(user_client, movie):
    MovieFactory.create()

    response = user_client.post(reverse(LIST), {"movie": movie, "score": 4})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["movie"]


def test_rating_create_for_unknown_movie_is_a_movie_error(user_client):
    missing = MovieFactory.create().pk
    Movie.objects.filter(pk=missing).delete()

    response = user_client.post(reverse(LIST), {"movie": missing, "score": 4})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["movie"]


def test_rating_create_without_fields_names_movie_and_score(user_client):
    response = user_client.post(reverse(LIST), {})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.json()["fields"]) == {"movie", "score"}


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "{not json", "null"])
def test_rating_create_with_malformed_body_is_a_400(user_client, body):
    response = user_client.post(reverse(LIST), body, content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.json()) == {"detail", "code", "fields"}


def test_rating_create_with_form_data_is_a_415(user_client):
    movie = MovieFactory.create()

    response = user_client.post(
        reverse(LIST), {"movie": movie.pk, "score": 4}, format="multipart"
    )

    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE


def test_rating_list_of_basic_user_holds_only_own_ratings(user, user_client, rating):
    RatingFactory.create_batch(2)
    mine = RatingFactory.create(user=user)

    response = user_client.get(reverse(LIST))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [mine.pk, rating.pk]


def test_rating_list_of_admin_holds_everyone_and_filters(admin_client, rating):
    other = RatingFactory.create()
    url = reverse(LIST)

    everyone = admin_client.get(url).json()
    by_user = admin_client.get(url, {"user": other.user_id}).json()
    by_movie = admin_client.get(url, {"movie": rating.movie_id}).json()
    both = admin_client.get(
        url, {"user": other.user_id, "movie": rating.movie_id}
    ).json()

    assert {item["id"] for item in everyone["results"]} == {rating.pk, other.pk}
    assert [item["id"] for item in by_user["results"]] == [other.pk]
    assert [item["id"] for item in by_movie["results"]] == [rating.pk]
    assert both["count"] == 0


def test_rating_list_filters_of_basic_user_narrow_own_ratings_only(user_client, rating):
    other = RatingFactory.create()
    url = reverse(LIST)

    assert user_client.get(url, {"user": other.user_id}).json()["count"] == 0
    assert user_client.get(url, {"movie": other.movie_id}).json()["count"] == 0
    assert user_client.get(url, {"movie": rating.movie_id}).json()["count"] == 1


@pytest.mark.parametrize("param", ["user", "movie"])
@pytest.mark.parametrize("value", ["abc", "1.5", "0", "-1", str(2**64)])
def test_rating_list_with_invalid_filter_is_a_400(admin_client, param, value):
    response = admin_client.get(reverse(LIST), {param: value})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == [param]


def test_rating_list_with_empty_filter_values_ignores_them(admin_client, rating):
    response = admin_client.get(reverse(LIST), {"user": "", "movie": ""})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["count"] == 1


def test_rating_retrieve_ignores_list_filters(api_client, rating):
    response = api_client.get(reverse(DETAIL, args=[rating.pk]), {"movie": "abc"})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["id"] == rating.pk


def test_rating_retrieve_of_unknown_rating_is_a_404(api_client, rating):
    missing = rating.pk
    Rating.objects.filter(pk=missing).delete()

    response = api_client.get(reverse(DETAIL, args=[missing]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_rating_detail_with_non_integer_id_is_a_404(api_client):
    response = api_client.get("/api/v1/ratings/abc/")

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_rating_put_changes_score_and_keeps_omitted_review(
    user_client, rating, assert_aggregates_exact
):
    response = user_client.put(reverse(DETAIL, args=[rating.pk]), {"score": 5})

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert (body["score"], body["review"]) == (5.0, "good")
    assert body["user"]["ratings_count"] == 1
    assert body["movie"] == rating.movie_id
    rating.refresh_from_db()
    assert rating.score == Decimal(5)
    assert_aggregates_exact()


def test_rating_put_without_score_is_a_score_error(user_client, rating):
    response = user_client.put(reverse(DETAIL, args=[rating.pk]), {"review": "x"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["score"]


def test_rating_patch_with_empty_review_clears_it(user_client, rating):
    response = user_client.patch(reverse(DETAIL, args=[rating.pk]), {"review": ""})

    assert response.status_code == HTTPStatus.OK
    assert (response.json()["review"], response.json()["score"]) == ("", 3.5)
    rating.refresh_from_db()
    assert rating.review == ""


def test_rating_update_with_same_movie_is_accepted(user_client, rating):
    response = user_client.patch(
        reverse(DETAIL, args=[rating.pk]), {"movie": rating.movie_id, "score": 2}
    )

    assert response.status_code == HTTPStatus.OK
    assert response.json()["score"] == 2.0


@pytest.mark.parametrize("method", ["put", "patch"])
def test_rating_update_with_another_movie_is_a_movie_error(user_client, rating, method):
    other = MovieFactory.create()

    response = getattr(user_client, method)(
        reverse(DETAIL, args=[rating.pk]), {"movie": other.pk, "score": 2}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["movie"]
    rating.refresh_from_db()
    assert (rating.movie_id, rating.score) == (rating.movie.pk, Decimal("3.5"))


def test_rating_update_with_invalid_score_is_a_score_error(user_client, rating):
    response = user_client.patch(reverse(DETAIL, args=[rating.pk]), {"score": "5"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["score"]


def test_rating_delete_by_admin_updates_aggregates(
    admin_client, rating, assert_aggregates_exact
):
    response = admin_client.delete(reverse(DETAIL, args=[rating.pk]))

    assert response.status_code == HTTPStatus.NO_CONTENT
    movie = Movie.objects.get(pk=rating.movie_id)
    assert (movie.rating_count, movie.average_rating) == (0, None)
    assert_aggregates_exact()


@pytest.mark.parametrize("rows", [1, 20])
def test_rating_list_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries, rows
):
    for _ in range(rows):
        RatingFactory.create()

    # auth user, count, page with its authors (and their stored ratings counts)
    with django_assert_num_queries(3):
        response = admin_client.get(reverse(LIST))

    assert len(response.json()["results"]) == rows


def test_rating_writes_are_throttled_by_the_rating_write_scope(
    user_client, monkeypatch
):
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "rating_write": "2/min"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    movies = MovieFactory.create_batch(3)

    statuses = [
        user_client.post(reverse(LIST), {"movie": m.pk, "score": 3}).status_code
        for m in movies
    ]
    read = user_client.get(reverse(LIST))

    assert statuses == [HTTPStatus.CREATED, HTTPStatus.CREATED, 429]
    assert read.status_code == HTTPStatus.OK
    assert Rating.objects.count() == 2


def test_rating_of_another_user_shows_their_public_user_only(api_client):
    author = UserFactory.create()
    rating = RatingFactory.create(user=author)

    body = api_client.get(reverse(DETAIL, args=[rating.pk])).json()

    assert set(body["user"]) == {"id", "username", "date_joined", "ratings_count"}
    assert body["user"]["id"] == author.pk
