"""``users/me/ratings/`` and ``users/{id}/ratings/``: the rated-movies profile."""

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from movies.tests.factories import GenreFactory, MovieFactory
from ratings.tests.factories import RatingFactory
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MINE = "ratings:my-ratings"
THEIRS = "ratings:user-ratings"


@pytest.fixture
def clients(api_client, client_for, user, other_user, admin_user):
    return {
        "anonymous": api_client,
        "basic": client_for(other_user),
        "owner": client_for(user),
        "admin": client_for(admin_user),
    }


@pytest.mark.parametrize(
    ("route", "caller", "expected"),
    [
        (MINE, "anonymous", HTTPStatus.UNAUTHORIZED),
        (MINE, "basic", HTTPStatus.OK),
        (MINE, "owner", HTTPStatus.OK),
        (MINE, "admin", HTTPStatus.OK),
        (THEIRS, "anonymous", HTTPStatus.UNAUTHORIZED),
        (THEIRS, "basic", HTTPStatus.OK),
        (THEIRS, "owner", HTTPStatus.OK),
        (THEIRS, "admin", HTTPStatus.OK),
    ],
)
def test_profile_routes_permissions(clients, user, route, caller, expected):
    RatingFactory.create(user=user)
    url = reverse(route) if route == MINE else reverse(route, args=[user.pk])

    response = clients[caller].get(url)

    assert response.status_code == expected


def test_my_ratings_lists_own_ratings_with_movie_summaries(user, user_client):
    drama, crime = GenreFactory.create(name="Drama"), GenreFactory.create(name="Crime")
    movie = MovieFactory.create(title="Heat", year=1995, genres=[drama, crime])
    rating = RatingFactory.create(
        user=user, movie=movie, score=Decimal("4.5"), review="Tense."
    )
    RatingFactory.create(movie=movie, score=Decimal("3.0"))  # Someone else's.

    response = user_client.get(reverse(MINE))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["count"] == 1
    item = body["results"][0]
    assert set(item) == {"id", "score", "review", "created_at", "updated_at", "movie"}
    assert (item["id"], item["score"], item["review"]) == (rating.pk, 4.5, "Tense.")
    assert item["movie"] == {
        "id": movie.pk,
        "title": "Heat",
        "year": 1995,
        "genres": [
            {"id": crime.pk, "name": "Crime", "slug": "crime"},
            {"id": drama.pk, "name": "Drama", "slug": "drama"},
        ],
        "average_rating": 3.75,
        "weighted_rating": 3.75,  # C is 3.75 too: its two ratings are all.
        "rating_count": 2,
    }


def test_user_ratings_lists_that_users_ratings(user_client, other_user):
    theirs = RatingFactory.create(user=other_user)
    RatingFactory.create()

    response = user_client.get(reverse(THEIRS, args=[other_user.pk]))

    assert [item["id"] for item in response.json()["results"]] == [theirs.pk]


def test_user_ratings_of_unknown_user_is_404(user_client):
    missing = UserFactory.create()
    User.objects.filter(pk=missing.pk).delete()

    response = user_client.get(reverse(THEIRS, args=[missing.pk]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_user_ratings_of_deactivated_user_is_404_except_for_admins(
    user_client, admin_client
):
    inactive = UserFactory.create(is_active=False)
    RatingFactory.create(user=inactive)
    url = reverse(THEIRS, args=[inactive.pk])

    assert user_client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert admin_client.get(url).json()["count"] == 1


@pytest.fixture
def rated(user):
    """``user``'s ratings, created in the order a, b, c, d."""
    movies = {
        "a": ("Zodiac", "5.0"),
        "b": ("Alien", "1.0"),
        "c": ("Memento", "3.0"),
        "d": ("Brazil", "1.0"),
    }
    return {
        name: RatingFactory.create(
            user=user, movie=MovieFactory.create(title=title), score=Decimal(score)
        )
        for name, (title, score) in movies.items()
    }


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (None, ["d", "c", "b", "a"]),
        ("", ["d", "c", "b", "a"]),
        ("-updated_at", ["d", "c", "b", "a"]),
        ("updated_at", ["a", "b", "c", "d"]),
        ("score", ["d", "b", "c", "a"]),
        ("-score", ["a", "c", "d", "b"]),
        ("movie__title", ["b", "d", "c", "a"]),
    ],
)
def test_my_ratings_ordering(user_client, rated, ordering, expected):
    names = {rating.pk: name for name, rating in rated.items()}
    params = {} if ordering is None else {"ordering": ordering}

    response = user_client.get(reverse(MINE), params)

    assert response.status_code == HTTPStatus.OK
    assert [names[item["id"]] for item in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"min_score": "3"}, {"a", "c"}),
        ({"max_score": "1"}, {"b", "d"}),
        ({"min_score": "1.5", "max_score": "4.5"}, {"c"}),
        ({"min_score": "0.5", "max_score": "5"}, {"a", "b", "c", "d"}),
        ({"min_score": "", "max_score": ""}, {"a", "b", "c", "d"}),
        ({"min_score": "4", "max_score": "2"}, set()),
    ],
)
def test_my_ratings_score_filters(user_client, rated, params, expected):
    names = {rating.pk: name for name, rating in rated.items()}

    response = user_client.get(reverse(MINE), params)

    assert response.status_code == HTTPStatus.OK
    assert {names[item["id"]] for item in response.json()["results"]} == expected


@pytest.mark.parametrize(
    "params",
    [
        {"min_score": "abc"},
        {"min_score": "0"},
        {"min_score": "0.4"},
        {"max_score": "5.5"},
        {"max_score": "NaN"},
        {"max_score": "Infinity"},
        {"ordering": "title"},
        {"ordering": "-movie__title"},
    ],
)
def test_my_ratings_with_invalid_parameter_is_a_400(user_client, params):
    response = user_client.get(reverse(MINE), params)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == list(params)


@pytest.mark.parametrize("rows", [1, 20])
@pytest.mark.parametrize("route", [MINE, THEIRS])
def test_profile_queries_do_not_grow_with_rows(
    user, user_client, django_assert_num_queries, rows, route
):
    genres = GenreFactory.create_batch(2)
    for _ in range(rows):
        RatingFactory.create(user=user, movie=MovieFactory.create(genres=genres))
    url = reverse(MINE) if route == MINE else reverse(THEIRS, args=[user.pk])

    # auth user, (profile user), count, page with movies, genres
    with django_assert_num_queries(4 if route == MINE else 5):
        response = user_client.get(url)

    assert len(response.json()["results"]) == rows
