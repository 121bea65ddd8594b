from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from movies.tests.factories import GenreFactory, MovieFactory, rate
from movies.tests.helpers import (
    MOVIE_FIELDS,
    SCORE_KEYS,
    movie_url,
)
from ratings.services import rating_create
from users.models import User

pytestmark = pytest.mark.django_db


def test_movie_list_items_have_exactly_the_contract_fields(
    api_client: APIClient,
) -> None:
    MovieFactory.create()

    item = api_client.get(reverse("movies:movie-list")).json()["results"][0]

    assert set(item) == MOVIE_FIELDS


def test_movie_detail_adds_distribution_and_my_rating(api_client: APIClient) -> None:
    movie = MovieFactory.create()

    body = api_client.get(movie_url(movie)).json()

    assert set(body) == MOVIE_FIELDS | {
        "rating_distribution",
        "my_rating",
        "in_watchlist",
    }


def test_movie_detail_shows_stored_fields_and_genres_sorted_by_name(
    api_client: APIClient,
) -> None:
    war = GenreFactory.create(name="War", slug="war")
    drama = GenreFactory.create(name="Drama", slug="drama")
    movie = MovieFactory.create(
        title="Schindler's List",
        year=1993,
        overview="In German-occupied Poland...",
        runtime_minutes=195,
        imdb_id="tt0108052",
        tmdb_id=424,
        genres=[war, drama],
    )

    body = api_client.get(movie_url(movie)).json()

    assert body["title"] == "Schindler's List"
    assert body["year"] == 1993
    assert body["overview"] == "In German-occupied Poland..."
    assert body["runtime_minutes"] == 195
    assert body["imdb_id"] == "tt0108052"
    assert body["tmdb_id"] == 424
    assert [genre["slug"] for genre in body["genres"]] == ["drama", "war"]
    assert body["created_at"].endswith("Z")


def test_unrated_movie_has_null_ratings_and_zero_distribution(
    api_client: APIClient,
) -> None:
    movie = MovieFactory.create()

    body = api_client.get(movie_url(movie)).json()

    assert body["average_rating"] is None
    assert body["weighted_rating"] is None
    assert body["rating_count"] == 0
    assert body["rating_distribution"] == dict.fromkeys(SCORE_KEYS, 0)
    assert body["my_rating"] is None


def test_rated_movie_shows_rounded_average_and_distribution(
    api_client: APIClient,
) -> None:
    movie = MovieFactory.create()
    rate(movie, "5.0", "4.5", "4.5")

    body = api_client.get(movie_url(movie)).json()

    assert body["rating_count"] == 3
    assert body["average_rating"] == 4.67  # 14 / 3, a JSON number
    assert body["rating_distribution"] == {
        **dict.fromkeys(SCORE_KEYS, 0),
        "4.5": 2,
        "5.0": 1,
    }
    assert list(body["rating_distribution"]) == SCORE_KEYS


def test_weighted_rating_is_bayesian_estimate_with_global_mean(
    api_client: APIClient, settings: Any
) -> None:
    settings.RATINGS_MIN_VOTES = 10
    rated = MovieFactory.create()
    other = MovieFactory.create()
    rate(rated, "5.0", "4.0")  # v = 2, R = 4.5
    rate(other, "1.0", "2.0", "3.0")
    global_mean = (5 + 4 + 1 + 2 + 3) / 5  # C = 3.0

    body = api_client.get(movie_url(rated)).json()

    expected = (2 / 12) * 4.5 + (10 / 12) * global_mean
    assert body["weighted_rating"] == round(expected, 2) == 3.25


def test_weighted_rating_follows_min_votes_setting(
    api_client: APIClient, settings: Any
) -> None:
    settings.RATINGS_MIN_VOTES = 0
    movie = MovieFactory.create()
    rate(movie, "5.0", "4.0")
    rate(MovieFactory.create(), "1.0")

    body = api_client.get(movie_url(movie)).json()

    assert body["weighted_rating"] == body["average_rating"] == 4.5


def test_movie_list_shows_the_same_ratings_as_detail(api_client: APIClient) -> None:
    movie = MovieFactory.create()
    rate(movie, "3.5", "4.0")
    rate(MovieFactory.create(), "1.0")

    item = api_client.get(reverse("movies:movie-list")).json()["results"]
    detail = api_client.get(movie_url(movie)).json()

    listed = next(entry for entry in item if entry["id"] == movie.pk)
    for field in ("average_rating", "weighted_rating", "rating_count"):
        assert listed[field] == detail[field]


def test_my_rating_is_null_for_anonymous_even_if_movie_is_rated(
    api_client: APIClient,
) -> None:
    movie = MovieFactory.create()
    rate(movie, "4.0")

    assert api_client.get(movie_url(movie)).json()["my_rating"] is None


def test_my_rating_is_null_for_caller_who_has_not_rated(
    user_client: APIClient,
) -> None:
    movie = MovieFactory.create()
    rate(movie, "4.0")  # someone else's rating

    assert user_client.get(movie_url(movie)).json()["my_rating"] is None


def test_my_rating_shows_the_callers_own_rating(
    user_client: APIClient, user: User
) -> None:
    movie = MovieFactory.create()
    rate(movie, "1.0")
    rating = rating_create(
        user=user, movie=movie, score=Decimal("4.5"), review="Lovely."
    )

    my_rating = user_client.get(movie_url(movie)).json()["my_rating"]

    assert my_rating["id"] == rating.pk
    assert my_rating["score"] == 4.5
    assert my_rating["review"] == "Lovely."
    assert set(my_rating) == {"id", "score", "review", "updated_at"}


def test_movie_detail_ignores_list_filters(api_client: APIClient) -> None:
    movie = MovieFactory.create()

    response = api_client.get(movie_url(movie), {"year": "soon", "genre": "nope"})

    assert response.status_code == HTTPStatus.OK
