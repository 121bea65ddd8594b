"""``users/me/stats/`` and ``users/{id}/stats/``: the taste profile."""

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from movies.tests.factories import GenreFactory, MovieFactory
from ratings.tests.factories import RatingFactory
from users.models import User
from users.tests.factories import UserFactory
from watchlist.tests.factories import WatchlistEntryFactory

pytestmark = pytest.mark.django_db

MINE = "taste:my-stats"
THEIRS = "taste:user-stats"
SCORE_KEYS = ["0.5", "1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0", "4.5", "5.0"]


@pytest.fixture
def clients(api_client, client_for, user, other_user, admin_user):
    return {
        "anonymous": api_client,
        "other": client_for(other_user),
        "owner": client_for(user),
        "admin": client_for(admin_user),
    }


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("anonymous", HTTPStatus.UNAUTHORIZED),
        ("other", HTTPStatus.OK),
        ("owner", HTTPStatus.OK),
        ("admin", HTTPStatus.OK),
    ],
)
@pytest.mark.parametrize("route", [MINE, THEIRS])
def test_stats_permissions(clients, user, route, caller, expected):
    RatingFactory.create(user=user)
    url = reverse(route) if route == MINE else reverse(route, args=[user.pk])

    response = clients[caller].get(url)

    assert response.status_code == expected
    if route == THEIRS and expected == HTTPStatus.OK:
        assert response.json()["ratings_count"] == 1


def test_stats_of_someone_who_rated_nothing_are_zero_and_null(user_client, user):
    WatchlistEntryFactory.create(user=user)

    body = user_client.get(reverse(MINE)).json()

    assert body == {
        "ratings_count": 0,
        "average_score": None,
        "score_distribution": dict.fromkeys(SCORE_KEYS, 0),
        "by_decade": [],
        "by_genre": [],
        "versus_community": None,
        "watchlist_count": 1,
    }


def test_stats_aggregate_the_users_ratings(user, user_client):
    crime, drama, war = (
        GenreFactory.create(name="Crime"),
        GenreFactory.create(name="Drama"),
        GenreFactory.create(name="War"),
    )
    heat = MovieFactory.create(year=1995, genres=[crime, drama])
    alien = MovieFactory.create(year=1979, genres=[])
    seven = MovieFactory.create(year=1995, genres=[crime])
    unknown_year = MovieFactory.create(year=None, genres=[war])
    mine = {heat: "4.5", alien: "3.0", seven: "4.0", unknown_year: "1.0"}
    for movie, score in mine.items():
        RatingFactory.create(user=user, movie=movie, score=Decimal(score))
    # Others: heat's average 3.5, alien's 3.0, seven's 4.0, unknown's 2.0.
    RatingFactory.create(movie=heat, score=Decimal("2.5"))
    RatingFactory.create(movie=unknown_year, score=Decimal("3.0"))
    WatchlistEntryFactory.create_batch(2, user=user)
    WatchlistEntryFactory.create()  # Someone else's.

    body = user_client.get(reverse(MINE)).json()

    assert body["ratings_count"] == 4
    assert body["average_score"] == 3.12  # 12.5 / 4 = 3.125
    assert body["score_distribution"] == {
        **dict.fromkeys(SCORE_KEYS, 0),
        "1.0": 1,
        "3.0": 1,
        "4.0": 1,
        "4.5": 1,
    }
    assert body["by_decade"] == [
        {"decade": 1970, "count": 1, "average_score": 3.0},
        {"decade": 1990, "count": 2, "average_score": 4.25},
    ]
    assert body["by_genre"] == [
        {
            "genre": {"id": crime.pk, "name": "Crime", "slug": crime.slug},
            "count": 2,
            "average_score": 4.25,
        },
        {
            "genre": {"id": drama.pk, "name": "Drama", "slug": drama.slug},
            "count": 1,
            "average_score": 4.5,
        },
        {
            "genre": {"id": war.pk, "name": "War", "slug": war.slug},
            "count": 1,
            "average_score": 1.0,
        },
    ]
    # (4.5 - 3.5) + (3.0 - 3.0) + (4.0 - 4.0) + (1.0 - 2.0) = 0 over 4.
    assert body["versus_community"] == 0.0
    assert body["watchlist_count"] == 2


def test_versus_community_is_negative_for_a_harsh_rater(user, user_client):
    movie = MovieFactory.create()
    RatingFactory.create(user=user, movie=movie, score=Decimal("1.0"))
    RatingFactory.create(movie=movie, score=Decimal("5.0"))
    RatingFactory.create(movie=movie, score=Decimal("5.0"))

    body = user_client.get(reverse(MINE)).json()

    # 1.0 - 11/3 = -2.666...
    assert body["versus_community"] == -2.67


def test_by_genre_holds_the_ten_most_rated_genres(user, user_client):
    genres = [GenreFactory.create(name=f"Genre {n:02d}") for n in range(12)]
    for n, genre in enumerate(genres):
        for _ in range(n + 1):  # Genre n is rated n + 1 times.
            RatingFactory.create(user=user, movie=MovieFactory.create(genres=[genre]))

    by_genre = user_client.get(reverse(MINE)).json()["by_genre"]

    assert [item["genre"]["id"] for item in by_genre] == [
        genre.pk for genre in reversed(genres[2:])
    ]
    assert [item["count"] for item in by_genre] == list(range(12, 2, -1))


def test_user_stats_are_that_users(user_client, other_user):
    RatingFactory.create(user=other_user, score=Decimal(2))
    RatingFactory.create(score=Decimal(5))

    body = user_client.get(reverse(THEIRS, args=[other_user.pk])).json()

    assert (body["ratings_count"], body["average_score"]) == (1, 2.0)


def test_user_stats_of_unknown_or_deactivated_user_is_404(user_client, admin_client):
    missing = UserFactory.create()
    User.objects.filter(pk=missing.pk).delete()
    inactive = UserFactory.create(is_active=False)

    assert user_client.get(reverse(THEIRS, args=[missing.pk])).status_code == 404
    assert user_client.get(reverse(THEIRS, args=[inactive.pk])).status_code == 404
    assert admin_client.get(reverse(THEIRS, args=[inactive.pk])).status_code == 200


@pytest.mark.parametrize("ratings", [1, 50])
@pytest.mark.parametrize("route", [MINE, THEIRS])
def test_stats_cost_a_fixed_number_of_queries(
    user, user_client, django_assert_num_queries, ratings, route
):
    genres = GenreFactory.create_batch(12)
    for n in range(ratings):
        movie = MovieFactory.create(
            year=1920 + n, genres=[genres[n % 12], genres[(n + 5) % 12]]
        )
        RatingFactory.create(user=user, movie=movie, score=Decimal("3.5"))
    WatchlistEntryFactory.create_batch(3, user=user)
    url = reverse(MINE) if route == MINE else reverse(THEIRS, args=[user.pk])

    # auth user, (profile user), totals, decades, genres, watchlist count
    with django_assert_num_queries(5 if route == MINE else 6):
        body = user_client.get(url).json()

    assert body["ratings_count"] == ratings
    assert body["watchlist_count"] == 3
