"""API4 Unrestricted Resource Consumption: nothing a client sends is unbounded.

Here: every list of the schema is paginated and caps ``page_size`` at 100
(with more than 100 rows behind each), a page far past the end is a 404
rather than a huge OFFSET, and oversized query parameter values are refused
(400) or, where docs/API.md says a value matching nothing gives an empty list,
answered cheaply.

Covered elsewhere, not repeated:

- request bodies: over 64 KiB → 413, nesting 10000 deep → 400, strings over
  their maxLength → 400, huge numbers → 400, for every write operation, and a
  chunked body (no Content-Length) never read by the server:
  ``tests/hardening/test_bad_input.py``; the limit itself and its setting:
  ``movieratings/tests/test_errors.py``;
- rate limits: 429 with ``Retry-After`` per scope (sign-up, sign-in, rating
  writes, anonymous and user rates), in-process and on the real server:
  ``tests/hardening/test_throttling.py``; every operation but the probes
  documents its 429: ``movieratings/tests/test_schema.py``;
- brute force on sign-in: lock-out per (account, client) and per client,
  shared by the API and the admin, ``users/tests/test_brute_force.py``, and on
  the real server, ``tests/hardening/test_throttling.py``;
- query counts that do not grow with rows: ``movies/tests/test_query_budgets.py``
  and the list tests of each app.
"""

import datetime
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from diary.models import DiaryEntry
from movies import aggregates
from movies.models import Genre, Movie
from ratings.models import Rating
from users.models import Role, User
from watchlist.models import WatchlistEntry

from .operations import Operation, RoleName, error_body, operations, resolve

pytestmark = pytest.mark.django_db

MAX_PAGE_SIZE = 100
ROWS = MAX_PAGE_SIZE + 1

# Every list operation: who reads it, and whose rows fill it.
LISTS: dict[str, RoleName] = {
    "GET /api/v1/genres/": "basic",
    "GET /api/v1/movies/": "basic",
    "GET /api/v1/movies/{id}/ratings/": "basic",
    "GET /api/v1/ratings/": "basic",
    "GET /api/v1/users/": "admin",
    "GET /api/v1/users/{id}/ratings/": "basic",
    "GET /api/v1/users/me/ratings/": "basic",
    "GET /api/v1/users/me/watchlist/": "basic",
    "GET /api/v1/users/{id}/watchlist/": "basic",
    "GET /api/v1/users/me/diary/": "basic",
    "GET /api/v1/users/{id}/diary/": "basic",
}
# Lists that are not paginated but bounded: the maximum of their ``limit``.
BOUNDED: dict[str, int] = {
    "GET /api/v1/movies/{id}/similar/": 50,
    "GET /api/v1/users/me/recommendations/": 100,
    "GET /api/v1/users/{id}/recommendations/": 100,
}


@dataclass
class Crowd:
    """More than a page of everything: genres, movies, users and ratings.

    ``rater`` rated every movie; everyone rated ``movie``.
    """

    rater: User
    admin: User
    movie: Movie

    def client(self, role: RoleName) -> APIClient:
        client = APIClient()
        user = self.admin if role == "admin" else self.rater
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
        return client

    def path(self, op: Operation) -> str:
        ids = {"/movies/": self.movie.pk, "/users/": self.rater.pk}
        prefix = op.path.split("{id}")[0]
        return op.path.format(
            id=next((pk for part, pk in ids.items() if prefix.endswith(part)), 0)
        )


@pytest.fixture
def crowd() -> Crowd:
    # Bulk inserts: the rows are what matters here, not how they were written.
    Genre.objects.bulk_create(
        Genre(name=f"Genre {i}", slug=f"genre-{i}") for i in range(ROWS)
    )
    movies = Movie.objects.bulk_create(
        Movie(title=f"Movie {i}", year=2000) for i in range(ROWS)
    )
    users = User.objects.bulk_create(
        User(email=f"crowd{i}@example.com", username=f"crowd{i}", password="!")
        for i in range(ROWS)
    )
    rater, admin = (
        users[0],
        User.objects.create(
            email="admin@example.com", username="admin", role=Role.ADMIN, password="!"
        ),
    )
    ratings = [Rating(user=rater, movie=movie, score=3) for movie in movies]
    ratings += [Rating(user=user, movie=movies[0], score=4) for user in users[1:]]
    Rating.objects.bulk_create(ratings)
    aggregates.rebuild()
    WatchlistEntry.objects.bulk_create(
        WatchlistEntry(user=rater, movie=movie) for movie in movies
    )
    DiaryEntry.objects.bulk_create(
        DiaryEntry(user=rater, movie=movie, watched_on=datetime.date(2024, 3, 9))
        for movie in movies
    )
    return Crowd(rater=rater, admin=admin, movie=movies[0])


def _list_operations() -> list[Operation]:
    return [op for op in operations() if op.key in LISTS]


def _response_schema(op: Operation) -> dict[str, Any]:
    content = op.spec["responses"]["200"]["content"]["application/json"]
    return resolve(content["schema"])


def test_every_collection_in_the_schema_is_a_paginated_list() -> None:
    paginated = set()
    for op in operations():
        if op.method != "GET":
            continue
        body = _response_schema(op)
        assert body.get("type") != "array", f"{op.key} returns an unbounded list"
        if op.key in BOUNDED:
            limit = next(p for p in op.spec["parameters"] if p["name"] == "limit")
            assert limit["schema"]["maximum"] == BOUNDED[op.key], op.key
        elif "results" in body.get("properties", {}):
            paginated.add(op.key)
            assert {"page", "page_size"} <= op.query_parameters, op.key

    assert paginated == set(LISTS)


@pytest.mark.parametrize("op", _list_operations(), ids=lambda op: op.key)
def test_every_list_caps_page_size_at_100(crowd: Crowd, op: Operation) -> None:
    client = crowd.client(LISTS[op.key])

    for page_size in (MAX_PAGE_SIZE + 1, 1000, 10**30):
        response = client.get(crowd.path(op), {"page_size": page_size})

        assert response.status_code == HTTPStatus.OK, response.content
        body = response.json()
        assert body["count"] >= ROWS
        assert len(body["results"]) == MAX_PAGE_SIZE
        assert body["next"] is not None


@pytest.mark.parametrize("op", _list_operations(), ids=lambda op: op.key)
def test_every_list_answers_a_page_far_past_the_end_with_404(
    crowd: Crowd, op: Operation
) -> None:
    response = crowd.client(LISTS[op.key]).get(
        crowd.path(op), {"page": 10**30, "page_size": MAX_PAGE_SIZE}
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    error_body(response)


def _oversized(schema: dict[str, Any]) -> tuple[str, HTTPStatus]:
    """Return an oversized value for a query parameter and its expected status."""
    if schema.get("type") == "array":
        items = schema["items"]
        value = ",".join(f"value-{i}" for i in range(5000))
        # Values from a fixed set: an unknown one is a 400. Free values (genre
        # slugs): one that matches nothing gives an empty list (docs/API.md).
        return value, HTTPStatus.BAD_REQUEST if "enum" in items else HTTPStatus.OK
    if schema.get("type") in {"integer", "number"}:
        return "9" * 5000, HTTPStatus.BAD_REQUEST
    return "x" * 10_000, HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("op", _list_operations(), ids=lambda op: op.key)
def test_oversized_query_values_are_refused_or_match_nothing(
    crowd: Crowd, op: Operation
) -> None:
    client = crowd.client(LISTS[op.key])
    for parameter in op.spec["parameters"]:
        if parameter["in"] != "query":
            continue
        value, expected = _oversized(parameter["schema"])

        response = client.get(crowd.path(op), {parameter["name"]: value})

        assert response.status_code == expected, (parameter["name"], response)
        if expected == HTTPStatus.BAD_REQUEST:
            assert parameter["name"] in error_body(response)["fields"]
        else:
            assert response.json()["results"] == []
