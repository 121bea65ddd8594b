from collections.abc import Callable
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from movies.models import Movie, max_movie_year
from movies.tests.factories import GenreFactory, MovieFactory, rate
from movies.tests.helpers import (
    MOVIE_FIELDS,
    movie_url,
    valid_movie_body,
)
from ratings.models import Rating
from ratings.services import rating_create
from users.models import Role, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], APIClient]

# --- Create ------------------------------------------------------------------


def test_movie_create_returns_detail_and_records_creator(
    admin_client: APIClient, admin_user: User
) -> None:
    body = valid_movie_body(
        overview="A matchmaker meddles.",
        runtime_minutes=120,
        imdb_id="tt0116191",
        tmdb_id=3573,
    )

    response = admin_client.post(reverse("movies:movie-list"), body)

    assert response.status_code == HTTPStatus.CREATED, response.json()
    created = response.json()
    assert set(created) == MOVIE_FIELDS | {
        "rating_distribution",
        "my_rating",
        "in_watchlist",
    }
    assert created["title"] == "Emma"
    assert created["genres"][0]["slug"] == "drama"
    assert created["imdb_id"] == "tt0116191"
    assert created["rating_count"] == 0
    assert created["average_rating"] is None
    movie = Movie.objects.get(pk=created["id"])
    assert movie.created_by == admin_user
    assert movie.runtime_minutes == 120


def test_movie_create_with_only_required_fields_uses_defaults(
    admin_client: APIClient,
) -> None:
    response = admin_client.post(
        reverse("movies:movie-list"), {"title": "Emma", "year": None, "genres": []}
    )

    assert response.status_code == HTTPStatus.CREATED, response.json()
    body = response.json()
    assert body["year"] is None
    assert body["genres"] == []
    assert body["overview"] == ""
    assert body["imdb_id"] is None
    assert body["tmdb_id"] is None
    assert body["runtime_minutes"] is None


def test_movie_create_ignores_aggregate_fields(admin_client: APIClient) -> None:
    body = valid_movie_body(
        rating_count=99,
        average_rating=5.0,
        weighted_rating=5.0,
        rating_distribution={"5.0": 99},
        my_rating={"score": 5.0},
        id=12345,
    )

    response = admin_client.post(reverse("movies:movie-list"), body)

    assert response.status_code == HTTPStatus.CREATED
    movie = Movie.objects.get(pk=response.json()["id"])
    assert movie.pk != 12345
    assert movie.rating_count == 0
    assert movie.ratings_5_0 == 0
    assert movie.rating_average is None


def test_two_movies_may_share_title_and_year(admin_client: APIClient) -> None:
    MovieFactory.create(title="Emma", year=1996)

    response = admin_client.post(reverse("movies:movie-list"), valid_movie_body())

    assert response.status_code == HTTPStatus.CREATED


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"title": None}, "title"),
        ({"year": 1869}, "year"),
        ({"year": "soon"}, "year"),
        ({"year": 1995.5}, "year"),
        ({"year": "1995"}, "year"),
        ({"genres": ["drama", "no-such-genre"]}, "genres"),
        ({"genres": "drama"}, "genres"),
        ({"genres": [{"slug": "drama"}]}, "genres"),
        ({"imdb_id": "0116191"}, "imdb_id"),
        ({"imdb_id": "tt123"}, "imdb_id"),
        ({"imdb_id": "tt12345678901"}, "imdb_id"),
        ({"imdb_id": ""}, "imdb_id"),
        ({"tmdb_id": 0}, "tmdb_id"),
        ({"tmdb_id": -5}, "tmdb_id"),
        ({"tmdb_id": 2**31}, "tmdb_id"),
        ({"tmdb_id": "603"}, "tmdb_id"),
        ({"runtime_minutes": 0}, "runtime_minutes"),
        ({"runtime_minutes": 1001}, "runtime_minutes"),
        ({"runtime_minutes": "90"}, "runtime_minutes"),
        ({"overview": "x" * 10001}, "overview"),
        ({"overview": None}, "overview"),
    ],
)
def test_movie_create_invalid_is_400_naming_the_field(
    admin_client: APIClient, overrides: dict[str, Any], field: str
) -> None:
    response = admin_client.post(
        reverse("movies:movie-list"), valid_movie_body(**overrides)
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["code"] == "invalid"
    # Nested errors are keyed by path: "genres.0" for the first genre.
    assert {key.split(".")[0] for key in body["fields"]} == {field}, body
    assert not Movie.objects.exists()


def test_movie_create_with_year_after_the_last_valid_one_is_400(
    admin_client: APIClient,
) -> None:
    response = admin_client.post(
        reverse("movies:movie-list"), valid_movie_body(year=max_movie_year() + 1)
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "year" in response.json()["fields"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": "x" * 255},
        {"title": "M"},
        {"year": 1870},
        {"imdb_id": "tt0114709"},
        {"imdb_id": "tt1234567890"},
        {"tmdb_id": 1},
        {"runtime_minutes": 1},
        {"runtime_minutes": 1000},
        {"overview": "x" * 10000},
        {"genres": ["drama", "drama"]},
    ],
)
def test_movie_create_at_the_limits_is_accepted(
    admin_client: APIClient, overrides: dict[str, Any]
) -> None:
    response = admin_client.post(
        reverse("movies:movie-list"), valid_movie_body(**overrides)
    )

    assert response.status_code == HTTPStatus.CREATED, response.json()


def test_movie_create_with_the_last_valid_year_is_accepted(
    admin_client: APIClient,
) -> None:
    response = admin_client.post(
        reverse("movies:movie-list"), valid_movie_body(year=max_movie_year())
    )

    assert response.status_code == HTTPStatus.CREATED


def test_last_valid_year_is_next_year_plus_five() -> None:
    from django.utils import timezone

    assert max_movie_year() == timezone.now().year + 1 + 5


@pytest.mark.parametrize("field", ["title", "year", "genres"])
def test_movie_create_without_required_field_is_400(
    admin_client: APIClient, field: str
) -> None:
    body = valid_movie_body()
    del body[field]

    response = admin_client.post(reverse("movies:movie-list"), body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["fields"]


@pytest.mark.parametrize("field", ["imdb_id", "tmdb_id"])
def test_movie_create_with_taken_external_id_is_400(
    admin_client: APIClient, field: str
) -> None:
    existing = MovieFactory.create()

    response = admin_client.post(
        reverse("movies:movie-list"),
        valid_movie_body(**{field: getattr(existing, field)}),
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["fields"]


def test_movie_create_with_malformed_json_is_400(admin_client: APIClient) -> None:
    response = admin_client.post(
        reverse("movies:movie-list"), "{not json", content_type="application/json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_movie_create_with_non_object_body_is_400(admin_client: APIClient) -> None:
    response = admin_client.post(reverse("movies:movie-list"), [1, 2], format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST


# --- Update: PUT replaces, PATCH changes -------------------------------------


def test_movie_patch_changes_only_the_given_fields(admin_client: APIClient) -> None:
    drama = GenreFactory.create(slug="drama")
    movie = MovieFactory.create(
        title="Old", overview="Kept.", runtime_minutes=90, genres=[drama]
    )

    response = admin_client.patch(movie_url(movie), {"title": "New"})

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["title"] == "New"
    assert body["overview"] == "Kept."
    assert body["runtime_minutes"] == 90
    assert body["imdb_id"] == movie.imdb_id
    assert [genre["slug"] for genre in body["genres"]] == ["drama"]
    assert "rating_distribution" in body


def test_movie_patch_genres_replaces_them(admin_client: APIClient) -> None:
    drama = GenreFactory.create(name="Drama", slug="drama")
    war = GenreFactory.create(name="War", slug="war")
    movie = MovieFactory.create(genres=[drama])

    response = admin_client.patch(movie_url(movie), {"genres": ["war"]})

    assert [genre["slug"] for genre in response.json()["genres"]] == ["war"]
    assert list(movie.genres.all()) == [war]


def test_movie_patch_empty_genres_clears_them(admin_client: APIClient) -> None:
    movie = MovieFactory.create(genres=[GenreFactory.create()])

    response = admin_client.patch(movie_url(movie), {"genres": []})

    assert response.json()["genres"] == []


def test_movie_put_resets_omitted_optional_fields(admin_client: APIClient) -> None:
    movie = MovieFactory.create(overview="Gone.", runtime_minutes=90)

    response = admin_client.put(
        movie_url(movie), {"title": "Emma", "year": 1996, "genres": []}
    )

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["title"] == "Emma"
    assert body["overview"] == ""
    assert body["runtime_minutes"] is None
    assert body["imdb_id"] is None
    assert body["tmdb_id"] is None


@pytest.mark.parametrize("field", ["title", "year", "genres"])
def test_movie_put_without_required_field_is_400(
    admin_client: APIClient, field: str
) -> None:
    GenreFactory.create(slug="drama")
    movie = MovieFactory.create(title="Kept")
    body = {"title": "Emma", "year": 1996, "genres": ["drama"]}
    del body[field]

    response = admin_client.put(movie_url(movie), body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["fields"]
    movie.refresh_from_db()
    assert movie.title == "Kept"


def test_movie_put_keeping_its_own_external_ids_is_allowed(
    admin_client: APIClient,
) -> None:
    movie = MovieFactory.create()

    response = admin_client.put(
        movie_url(movie),
        {
            "title": "Same ids",
            "year": 1996,
            "genres": [],
            "imdb_id": movie.imdb_id,
            "tmdb_id": movie.tmdb_id,
        },
    )

    assert response.status_code == HTTPStatus.OK, response.json()


@pytest.mark.parametrize("field", ["imdb_id", "tmdb_id"])
def test_movie_patch_to_another_movies_external_id_is_400(
    admin_client: APIClient, field: str
) -> None:
    other = MovieFactory.create()
    movie = MovieFactory.create()

    response = admin_client.patch(movie_url(movie), {field: getattr(other, field)})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "  "}, "title"),
        ({"year": 1800}, "year"),
        ({"genres": ["nope"]}, "genres"),
        ({"runtime_minutes": 5000}, "runtime_minutes"),
    ],
)
def test_movie_patch_invalid_is_400_and_changes_nothing(
    admin_client: APIClient, body: dict[str, Any], field: str
) -> None:
    movie = MovieFactory.create(title="Kept", year=1995, runtime_minutes=90)

    response = admin_client.patch(movie_url(movie), body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["fields"]
    movie.refresh_from_db()
    assert (movie.title, movie.year, movie.runtime_minutes) == ("Kept", 1995, 90)


def test_movie_patch_of_aggregates_changes_nothing(admin_client: APIClient) -> None:
    movie = MovieFactory.create()
    rate(movie, "4.0")

    response = admin_client.patch(
        movie_url(movie), {"rating_count": 50, "average_rating": 1.0}
    )

    assert response.status_code == HTTPStatus.OK
    assert response.json()["rating_count"] == 1
    assert response.json()["average_rating"] == 4.0
    movie.refresh_from_db()
    assert movie.rating_count == 1


def test_movie_update_keeps_the_callers_rating_in_the_response(
    client_for: ClientFor,
) -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    movie = MovieFactory.create()
    rating_create(user=admin, movie=movie, score=Decimal("3.5"))

    response = client_for(admin).patch(movie_url(movie), {"title": "New"})

    assert response.json()["my_rating"]["score"] == 3.5


# --- Delete ------------------------------------------------------------------


def test_movie_delete_removes_its_ratings(admin_client: APIClient) -> None:
    movie = MovieFactory.create()
    other = MovieFactory.create()
    rate(movie, "4.0", "3.0")
    rate(other, "5.0")

    response = admin_client.delete(movie_url(movie))

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not Movie.objects.filter(pk=movie.pk).exists()
    assert not Rating.objects.filter(movie_id=movie.pk).exists()
    assert Rating.objects.filter(movie=other).count() == 1
