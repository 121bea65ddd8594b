from http import HTTPStatus

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from movies.models import Genre, Movie
from movies.tests.factories import GenreFactory, MovieFactory
from movies.tests.helpers import (
    genre_url,
    movie_url,
)

pytestmark = pytest.mark.django_db

# --- Genres ------------------------------------------------------------------


def test_genre_list_is_paginated_and_sorted_by_name(api_client: APIClient) -> None:
    for name in ["War", "Action", "Drama"]:
        GenreFactory.create(name=name)

    response = api_client.get(reverse("movies:genre-list"), {"page_size": 2})

    body = response.json()
    assert body["count"] == 3
    assert [genre["name"] for genre in body["results"]] == ["Action", "Drama"]
    assert body["next"] is not None


def test_genre_detail_has_id_name_slug(api_client: APIClient) -> None:
    genre = GenreFactory.create(name="Film-Noir", slug="film-noir")

    response = api_client.get(genre_url(genre))

    assert response.json() == {"id": genre.pk, "name": "Film-Noir", "slug": "film-noir"}


def test_genre_create_without_slug_derives_it_from_the_name(
    admin_client: APIClient,
) -> None:
    response = admin_client.post(
        reverse("movies:genre-list"), {"name": "Science Fiction"}
    )

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["slug"] == "science-fiction"
    assert Genre.objects.get(slug="science-fiction").name == "Science Fiction"


def test_genre_create_with_slug_keeps_it(admin_client: APIClient) -> None:
    response = admin_client.post(
        reverse("movies:genre-list"), {"name": "Science Fiction", "slug": "sci-fi"}
    )

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["slug"] == "sci-fi"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Drama"}, "name"),
        ({"name": "Drama 2", "slug": "drama"}, "slug"),
        ({"name": "DRAMA"}, "slug"),  # derived slug "drama" is taken
        ({"name": "!!!"}, "slug"),  # no slug can be derived
        ({"name": "   "}, "name"),
        ({"name": ""}, "name"),
        ({}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"name": "Bad slug", "slug": "not a slug"}, "slug"),
        ({"name": "Blank slug", "slug": ""}, "slug"),
    ],
)
def test_genre_create_invalid_is_400_naming_the_field(
    admin_client: APIClient, body: dict[str, str], field: str
) -> None:
    GenreFactory.create(name="Drama", slug="drama")

    response = admin_client.post(reverse("movies:genre-list"), body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["fields"]
    assert Genre.objects.count() == 1


def test_genre_patch_name_keeps_slug(admin_client: APIClient) -> None:
    genre = GenreFactory.create(name="Sci-Fi", slug="sci-fi")

    response = admin_client.patch(genre_url(genre), {"name": "Science Fiction"})

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "id": genre.pk,
        "name": "Science Fiction",
        "slug": "sci-fi",
    }


def test_genre_patch_to_taken_name_is_400(admin_client: APIClient) -> None:
    GenreFactory.create(name="Drama", slug="drama")
    genre = GenreFactory.create(name="Comedy", slug="comedy")

    response = admin_client.patch(genre_url(genre), {"name": "Drama"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "name" in response.json()["fields"]


def test_genre_patch_own_name_again_is_allowed(admin_client: APIClient) -> None:
    genre = GenreFactory.create(name="Drama", slug="drama")

    response = admin_client.patch(genre_url(genre), {"name": "Drama", "slug": "drama"})

    assert response.status_code == HTTPStatus.OK


def test_genre_delete_keeps_its_movies(admin_client: APIClient) -> None:
    genre = GenreFactory.create()
    movie = MovieFactory.create(genres=[genre])

    response = admin_client.delete(genre_url(genre))

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not Genre.objects.filter(pk=genre.pk).exists()
    assert list(Movie.objects.get(pk=movie.pk).genres.all()) == []


def test_genre_rename_shows_in_movie_representation(
    admin_client: APIClient, api_client: APIClient
) -> None:
    genre = GenreFactory.create(name="Sci-Fi", slug="sci-fi")
    movie = MovieFactory.create(genres=[genre])
    api_client.get(movie_url(movie))

    admin_client.patch(genre_url(genre), {"name": "Science Fiction"})

    genres = api_client.get(movie_url(movie)).json()["genres"]
    assert genres == [{"id": genre.pk, "name": "Science Fiction", "slug": "sci-fi"}]
