from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from movies.models import Genre, Movie
from movies.tests.factories import GenreFactory, MovieFactory
from movies.tests.helpers import (
    genre_url,
    movie_url,
    valid_movie_body,
)
from users.models import Role, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], APIClient]

# --- Permissions: every route as anonymous, basic and admin -----------------

ROLES = ["anonymous", "basic", "admin"]


def _client(client_for: ClientFor, role: str) -> APIClient:
    if role == "anonymous":
        return client_for(None)
    return client_for(UserFactory.create(role=Role(role)))


def _request(client: APIClient, route: str) -> Any:
    genre = GenreFactory.create(name="Drama", slug="drama")
    movie = MovieFactory.create(genres=[genre])
    requests: dict[str, Callable[[], Any]] = {
        "genre-list": lambda: client.get(reverse("movies:genre-list")),
        "genre-detail": lambda: client.get(genre_url(genre)),
        "genre-create": lambda: client.post(
            reverse("movies:genre-list"), {"name": "Film-Noir"}
        ),
        "genre-patch": lambda: client.patch(genre_url(genre), {"name": "Dramas"}),
        "genre-delete": lambda: client.delete(genre_url(genre)),
        "movie-list": lambda: client.get(reverse("movies:movie-list")),
        "movie-detail": lambda: client.get(movie_url(movie)),
        "movie-create": lambda: client.post(
            reverse("movies:movie-list"),
            {"title": "Emma", "year": 1996, "genres": ["drama"]},
        ),
        "movie-put": lambda: client.put(
            movie_url(movie), {"title": "Emma", "year": 1996, "genres": []}
        ),
        "movie-patch": lambda: client.patch(movie_url(movie), {"title": "Emma"}),
        "movie-delete": lambda: client.delete(movie_url(movie)),
    }
    return requests[route]()


PERMISSION_TABLE = [
    # route, anonymous, basic, admin
    ("genre-list", HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.OK),
    ("genre-detail", HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.OK),
    ("genre-create", HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.CREATED),
    ("genre-patch", HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.OK),
    (
        "genre-delete",
        HTTPStatus.UNAUTHORIZED,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NO_CONTENT,
    ),
    ("movie-list", HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.OK),
    ("movie-detail", HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.OK),
    ("movie-create", HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.CREATED),
    ("movie-put", HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.OK),
    ("movie-patch", HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.OK),
    (
        "movie-delete",
        HTTPStatus.UNAUTHORIZED,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NO_CONTENT,
    ),
]


@pytest.mark.parametrize(
    ("route", "role", "expected"),
    [
        (route, role, expected)
        for route, *statuses in PERMISSION_TABLE
        for role, expected in zip(ROLES, statuses, strict=True)
    ],
)
def test_route_as_role_answers_expected_status(
    client_for: ClientFor, route: str, role: str, expected: HTTPStatus
) -> None:
    response = _request(_client(client_for, role), route)

    assert response.status_code == expected, response.content
    if expected >= HTTPStatus.BAD_REQUEST:
        assert set(response.json()) == {"detail", "code", "fields"}


def test_anonymous_write_is_challenged_with_www_authenticate(
    api_client: APIClient,
) -> None:
    response = api_client.post(reverse("movies:movie-list"), valid_movie_body())

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_superuser_with_admin_role_may_write(client_for: ClientFor) -> None:
    superuser = UserFactory.create(is_superuser=True, role=Role.ADMIN)

    response = client_for(superuser).post(
        reverse("movies:genre-list"), {"name": "Western"}
    )

    assert response.status_code == HTTPStatus.CREATED


def test_genre_put_is_method_not_allowed(admin_client: APIClient) -> None:
    genre = GenreFactory.create()

    response = admin_client.put(genre_url(genre), {"name": "X", "slug": "x"})

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


# --- 404s --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["movies:movie-detail", "movies:genre-detail"])
def test_detail_of_unknown_id_is_404(api_client: APIClient, name: str) -> None:
    GenreFactory.create()
    MovieFactory.create()
    unknown = max(Movie.objects.latest("pk").pk, Genre.objects.latest("pk").pk) + 1

    response = api_client.get(reverse(name, args=[unknown]))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/v1/movies/abc/", "/api/v1/genres/drama/"])
def test_detail_with_non_integer_id_is_404(api_client: APIClient, path: str) -> None:
    response = api_client.get(path)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


def test_admin_write_on_unknown_movie_is_404(admin_client: APIClient) -> None:
    movie = MovieFactory.create()
    url = movie_url(movie)
    movie.delete()

    assert admin_client.patch(url, {"title": "X"}).status_code == HTTPStatus.NOT_FOUND
    assert admin_client.delete(url).status_code == HTTPStatus.NOT_FOUND


def test_movie_list_page_past_the_end_is_404(api_client: APIClient) -> None:
    MovieFactory.create()

    response = api_client.get(reverse("movies:movie-list"), {"page": 2})

    assert response.status_code == HTTPStatus.NOT_FOUND
