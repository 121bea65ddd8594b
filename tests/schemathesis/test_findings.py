"""What the schemathesis runs found, pinned down without a server.

Each test names the check that failed before the fix; together they keep the
schema telling the truth and the code answering as the schema says, on SQLite
and on PostgreSQL, in a fraction of the fuzzing run's time.
"""

from http import HTTPStatus
from typing import Any

import jsonschema
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from movieratings.exceptions import exception_handler
from movies import services as movie_services
from movies.models import Genre, Movie, max_movie_year
from movies.tests.factories import GenreFactory, MovieFactory
from users import services as user_services
from users.models import Role, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PUBLIC_READS = [
    ("/api/v1/genres/", "get"),
    ("/api/v1/genres/{id}/", "get"),
    ("/api/v1/movies/", "get"),
    ("/api/v1/movies/{id}/", "get"),
    ("/api/v1/movies/{id}/ratings/", "get"),
    ("/api/v1/ratings/{id}/", "get"),
]


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = APIClient().get(reverse("schema"), {"format": "json"})
    assert response.status_code == HTTPStatus.OK
    body: dict[str, Any] = response.json()
    return body


def _parameters(schema: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}


# --- ignored_auth, missing_required_header ------------------------------------


@pytest.mark.parametrize(("path", "method"), PUBLIC_READS)
def test_schema_lets_anonymous_callers_read_the_catalogue(
    schema: dict[str, Any], path: str, method: str
) -> None:
    operation = schema["paths"][path][method]

    # Optional auth is the document's default, which these operations keep.
    assert {} in operation.get("security", schema["security"])
    assert "403" not in operation["responses"]


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/genres/", "post"),
        ("/api/v1/movies/{id}/", "patch"),
        ("/api/v1/users/me/", "get"),
        ("/api/v1/ratings/", "get"),
    ],
)
def test_schema_requires_a_token_where_the_api_does(
    schema: dict[str, Any], path: str, method: str
) -> None:
    operation = schema["paths"][path][method]

    assert {} not in operation["security"]
    assert "403" in operation["responses"]


@pytest.mark.parametrize("url_name", ["movies:movie-list", "movies:genre-list"])
def test_anonymous_catalogue_read_is_200(api_client: APIClient, url_name: str) -> None:
    assert api_client.get(reverse(url_name)).status_code == HTTPStatus.OK


# --- response_headers_conformance -------------------------------------------


def test_schema_documents_www_authenticate_and_retry_after(
    schema: dict[str, Any],
) -> None:
    documented = 0
    for item in schema["paths"].values():
        for operation in item.values():
            responses = (
                operation.get("responses", {}) if isinstance(operation, dict) else {}
            )
            if "401" in responses:
                assert responses["401"]["headers"]["WWW-Authenticate"]["required"]
                documented += 1
            if "429" in responses:
                assert responses["429"]["headers"]["Retry-After"]["required"]

    assert documented >= 30


def test_401_and_429_carry_the_documented_headers(
    api_client: APIClient, user: User, settings: Any
) -> None:
    unauthenticated = api_client.get(reverse("users:user-me"))
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 1
    credentials = {"email": user.email, "password": "not-the-password"}
    api_client.post(reverse("users:auth-token"), credentials)
    locked_out = api_client.post(reverse("users:auth-token"), credentials)

    assert unauthenticated.status_code == HTTPStatus.UNAUTHORIZED
    assert unauthenticated["WWW-Authenticate"].startswith("Bearer")
    assert locked_out.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(locked_out["Retry-After"]) > 0


# --- positive_data_acceptance: bounds the schema did not say ------------------


def test_schema_documents_the_movie_filter_bounds(schema: dict[str, Any]) -> None:
    parameters = _parameters(schema, "/api/v1/movies/")

    for name in ("year", "year_min", "year_max"):
        assert parameters[name]["schema"] == {
            "type": "integer",
            "minimum": 0,
            "maximum": 9999,
        }
    assert parameters["min_ratings"]["schema"]["minimum"] == 0
    assert parameters["search"]["schema"]["maxLength"] == 255
    assert _parameters(schema, "/api/v1/users/")["search"]["schema"]["maxLength"] == 254


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"year": 9999}, HTTPStatus.OK),
        ({"year": 10000}, HTTPStatus.BAD_REQUEST),
        ({"min_ratings": 0}, HTTPStatus.OK),
        ({"min_ratings": -1}, HTTPStatus.BAD_REQUEST),
        ({"search": "x" * 255}, HTTPStatus.OK),
        ({"search": "x" * 256}, HTTPStatus.BAD_REQUEST),
    ],
)
def test_movie_filters_answer_as_their_documented_bounds_say(
    api_client: APIClient, query: dict[str, Any], status: HTTPStatus
) -> None:
    assert api_client.get(reverse("movies:movie-list"), query).status_code == status


def test_schema_maximum_of_a_movie_year_is_the_latest_valid_year(
    schema: dict[str, Any],
) -> None:
    year = schema["components"]["schemas"]["MovieInputRequest"]["properties"]["year"]

    assert (year["minimum"], year["maximum"]) == (1870, max_movie_year())


def test_movie_year_beyond_the_documented_maximum_is_400(
    admin_client: APIClient,
) -> None:
    body = {"title": "Tomorrow", "genres": []}
    latest = admin_client.post(
        reverse("movies:movie-list"), {**body, "year": max_movie_year()}
    )
    beyond = admin_client.post(
        reverse("movies:movie-list"), {**body, "year": max_movie_year() + 1}
    )

    assert latest.status_code == HTTPStatus.CREATED
    assert beyond.status_code == HTTPStatus.BAD_REQUEST
    assert list(beyond.json()["fields"]) == ["year"]


# --- response_schema_conformance: oneOf of a private and a public user -------


def _validator(schema: dict[str, Any], component: str) -> jsonschema.Draft4Validator:
    root = {"components": schema["components"]}
    return jsonschema.Draft4Validator(
        {**root, "$ref": f"#/components/schemas/{component}"}
    )


def test_user_detail_matches_exactly_one_shape_for_self_and_for_others(
    schema: dict[str, Any], user: User, other_user: User, client_for: Any
) -> None:
    client = client_for(user)
    own = client.get(reverse("users:user-detail", kwargs={"pk": user.pk})).json()
    other = client.get(reverse("users:user-detail", kwargs={"pk": other_user.pk}))
    validator = _validator(schema, "UserDetail")

    assert "email" in own
    assert "email" not in other.json()
    validator.validate(own)
    validator.validate(other.json())


# --- status_code_conformance --------------------------------------------------


def test_admin_deleting_themselves_is_a_documented_400(
    schema: dict[str, Any], admin_user: User, admin_client: APIClient
) -> None:
    response = admin_client.delete(
        reverse("users:user-detail", kwargs={"pk": admin_user.pk})
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "400" in schema["paths"]["/api/v1/users/{id}/"]["delete"]["responses"]


# --- negative_data_rejection: numbers where strings are documented -----------


@pytest.mark.parametrize(
    ("url_name", "body", "field"),
    [
        ("movies:genre-list", {"name": "Zero", "slug": 0}, "slug"),
        ("movies:genre-list", {"name": 7}, "name"),
        ("movies:movie-list", {"title": 1995, "year": 1995, "genres": []}, "title"),
        (
            "movies:movie-list",
            {"title": "Heat", "year": None, "genres": [1]},
            "genres.0",
        ),
        ("users:user-list", {"email": "x@example.com", "username": 1.5}, "username"),
    ],
)
def test_admin_input_with_a_number_for_a_string_is_400(
    admin_client: APIClient, url_name: str, body: dict[str, Any], field: str
) -> None:
    response = admin_client.post(reverse(url_name), body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["fields"]


@pytest.mark.parametrize(
    ("url_name", "body", "field"),
    [
        (
            "users:auth-signup",
            {"email": "n@example.com", "username": 42, "password": "x-Tr4ck-9z"},
            "username",
        ),
        ("users:auth-token", {"email": 42, "password": "x"}, "email"),
        ("users:auth-refresh", {"refresh": 42}, "refresh"),
    ],
)
def test_anonymous_input_with_a_number_for_a_string_is_400(
    api_client: APIClient, url_name: str, body: dict[str, Any], field: str
) -> None:
    response = api_client.post(reverse(url_name), body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == [field]


def test_user_changing_names_with_numbers_is_400_and_changes_nothing(
    user: User, client_for: Any
) -> None:
    response = client_for(user).patch(reverse("users:user-me"), {"first_name": 3})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["first_name"]
    user.refresh_from_db()
    assert user.first_name != "3"


@pytest.mark.parametrize("flag", [0, 1, "false", "true", "no"])
def test_admin_sending_a_non_boolean_is_active_is_400_and_changes_nothing(
    admin_client: APIClient, flag: Any
) -> None:
    target = UserFactory.create()

    response = admin_client.patch(
        reverse("users:user-detail", kwargs={"pk": target.pk}), {"is_active": flag}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["is_active"]
    target.refresh_from_db()
    assert target.is_active


def test_a_name_longer_than_max_length_before_trimming_is_400(
    user: User, client_for: Any
) -> None:
    # U+0085 is whitespace to Python: trimmed first, the value would fit.
    name = "\u0085" * 3 + "m" * 150

    response = client_for(user).patch(reverse("users:user-me"), {"first_name": name})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["first_name"]


# --- not_a_server_error: the row went away during the request ---------------


def test_user_update_of_a_user_deleted_meanwhile_raises_does_not_exist() -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    stale = UserFactory.create()
    User.objects.filter(pk=stale.pk).delete()

    with pytest.raises(User.DoesNotExist):
        user_services.user_update(actor=admin, user=stale, username="renamed")


def test_movie_update_of_a_movie_deleted_meanwhile_raises_does_not_exist() -> None:
    stale = MovieFactory.create()
    Movie.objects.filter(pk=stale.pk).delete()

    with pytest.raises(Movie.DoesNotExist):
        movie_services.movie_update(movie=stale, title="Renamed")


def test_genre_update_of_a_genre_deleted_meanwhile_raises_does_not_exist() -> None:
    stale = GenreFactory.create()
    Genre.objects.filter(pk=stale.pk).delete()

    with pytest.raises(Genre.DoesNotExist):
        movie_services.genre_update(genre=stale, name="Renamed")


def test_movie_create_with_a_genre_deleted_meanwhile_is_a_validation_error() -> None:
    kept, stale = GenreFactory.create(), GenreFactory.create()
    Genre.objects.filter(pk=stale.pk).delete()

    with pytest.raises(ValidationError) as raised:
        movie_services.movie_create(
            actor=None, title="Heat", year=1995, genres=[kept, stale]
        )

    assert list(raised.value.message_dict) == ["genres"]
    assert not Movie.objects.exists()


def test_a_row_gone_under_a_service_is_rendered_as_a_404_in_the_error_shape() -> None:
    response = exception_handler(
        User.DoesNotExist("This user no longer exists."),
        {"view": None, "request": None},
    )

    assert response is not None
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.data == {
        "detail": "This user no longer exists.",
        "code": "not_found",
        "fields": {},
    }
