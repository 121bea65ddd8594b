from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from movies.tests.factories import GenreFactory, MovieFactory, rate
from movies.tests.helpers import (
    movie_url,
)
from ratings.services import rating_create
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], APIClient]

# --- Query budgets -----------------------------------------------------------


def _list_queries(
    client: APIClient, rows: int, django_assert_num_queries: Any, expected: int
) -> None:
    genres = GenreFactory.create_batch(3)
    for _ in range(rows):
        movie = MovieFactory.create(genres=genres)
        rate(movie, "4.0")
    with django_assert_num_queries(expected):
        response = client.get(
            reverse("movies:movie-list"),
            {"ordering": "-weighted_rating", "page_size": "50"},
        )
    assert len(response.json()["results"]) == rows


# count + page (C comes with its rows) + genres prefetch; a token adds the user.
LIST_QUERIES_ANONYMOUS = 3
LIST_QUERIES_AUTHENTICATED = 4


@pytest.mark.parametrize("rows", [1, 20])
def test_movie_list_costs_the_same_queries_for_1_and_20_rows(
    api_client: APIClient, django_assert_num_queries: Any, rows: int
) -> None:
    _list_queries(api_client, rows, django_assert_num_queries, LIST_QUERIES_ANONYMOUS)


@pytest.mark.parametrize("rows", [1, 20])
def test_movie_list_as_user_costs_one_query_more(
    user_client: APIClient, django_assert_num_queries: Any, rows: int
) -> None:
    _list_queries(
        user_client, rows, django_assert_num_queries, LIST_QUERIES_AUTHENTICATED
    )


def test_movie_list_with_every_filter_keeps_the_budget(
    api_client: APIClient, django_assert_num_queries: Any
) -> None:
    drama = GenreFactory.create(slug="drama")
    war = GenreFactory.create(slug="war")
    for _ in range(5):
        rate(MovieFactory.create(genres=[drama, war], year=1990), "4.0")

    with django_assert_num_queries(LIST_QUERIES_ANONYMOUS):
        response = api_client.get(
            reverse("movies:movie-list"),
            {
                "search": "movie",
                "genre": "drama,war",
                "year_min": "1980",
                "year_max": "2000",
                "min_ratings": "1",
                "ordering": "-average_rating",
            },
        )
    assert response.json()["count"] == 5


@pytest.mark.parametrize("genre_count", [1, 10])
def test_movie_detail_costs_a_fixed_number_of_queries(
    client_for: ClientFor,
    django_assert_num_queries: Any,
    genre_count: int,
) -> None:
    user = UserFactory.create()
    movie = MovieFactory.create(genres=GenreFactory.create_batch(genre_count))
    rate(movie, "4.0", "3.0")
    rating_create(user=user, movie=movie, score=Decimal("5.0"))

    anonymous, authenticated = client_for(None), client_for(user)

    # Uncached: the movie's row with C, then its genres.
    with django_assert_num_queries(2):
        anonymous.get(movie_url(movie))
    # Cached: nothing...
    with django_assert_num_queries(0):
        anonymous.get(movie_url(movie))
    # ... but the user of the token and the caller's own rating.
    with django_assert_num_queries(2):
        response = authenticated.get(movie_url(movie))
    assert response.json()["my_rating"]["score"] == 5.0


def test_movie_detail_uncached_as_user_costs_three_queries(
    client_for: ClientFor, django_assert_num_queries: Any
) -> None:
    user = UserFactory.create()
    movie = MovieFactory.create(genres=GenreFactory.create_batch(3))
    rating_create(user=user, movie=movie, score=Decimal("5.0"))

    client = client_for(user)

    # User + the movie's row with C and the caller's rating + genres.
    with django_assert_num_queries(3):
        response = client.get(movie_url(movie))
    assert response.json()["my_rating"]["score"] == 5.0


def test_movie_detail_after_a_rating_elsewhere_costs_one_query(
    client_for: ClientFor, django_assert_num_queries: Any
) -> None:
    movie, other = MovieFactory.create(), MovieFactory.create()
    rate(movie, "4.0")
    client = client_for(None)
    client.get(movie_url(movie))
    rate(other, "1.0")  # C moved; the movie's own entry still holds.

    # C, from the movies' totals.
    with django_assert_num_queries(1):
        body = client.get(movie_url(movie)).json()
    assert body["weighted_rating"] < 4.0


@pytest.mark.parametrize("rows", [1, 20])
def test_movie_list_cached_costs_no_query(
    api_client: APIClient, django_assert_num_queries: Any, rows: int
) -> None:
    for _ in range(rows):
        rate(MovieFactory.create(genres=GenreFactory.create_batch(2)), "4.0")
    url = reverse("movies:movie-list")
    first = api_client.get(url, {"ordering": "-weighted_rating"})

    with django_assert_num_queries(0):
        second = api_client.get(url, {"ordering": "-weighted_rating"})
    assert second.json() == first.json()


@pytest.mark.parametrize("rows", [1, 20])
def test_genre_list_costs_two_queries(
    api_client: APIClient, django_assert_num_queries: Any, rows: int
) -> None:
    GenreFactory.create_batch(rows)

    with django_assert_num_queries(2):
        response = api_client.get(reverse("movies:genre-list"))
    assert response.json()["count"] == rows
    with django_assert_num_queries(0):
        assert api_client.get(reverse("movies:genre-list")).json() == response.json()
