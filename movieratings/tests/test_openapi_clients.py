"""The schema as generated clients read it: types, security, lists, required fields.

openapi-python-client and openapi-typescript turn the schema into code; each
test here pins down one thing a generated client would get wrong otherwise.
``.ci/run`` generates both clients and type-checks code that uses them.
"""

from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from movieratings.exceptions import ERROR_CODES
from movieratings.openapi import enum_member_name
from movies.tests.factories import GenreFactory, MovieFactory
from ratings.tests.factories import RatingFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}
SIGN_IN = [
    ("/api/v1/auth/signup/", "post"),
    ("/api/v1/auth/token/", "post"),
    ("/api/v1/auth/token/refresh/", "post"),
]
PUBLIC_READS = [
    ("/api/v1/genres/", "get"),
    ("/api/v1/genres/{id}/", "get"),
    ("/api/v1/movies/", "get"),
    ("/api/v1/movies/{id}/", "get"),
    ("/api/v1/movies/{id}/ratings/", "get"),
    ("/api/v1/ratings/{id}/", "get"),
]


def _schema() -> dict[str, Any]:
    response = APIClient().get(reverse("schema"), {"format": "json"})
    assert response.status_code == HTTPStatus.OK
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        return _schema()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _component(schema: dict[str, Any], name: str) -> dict[str, Any]:
    component: dict[str, Any] = schema["components"]["schemas"][name]
    return component


def _enums(node: Any, where: str = "") -> list[tuple[str, list[Any]]]:
    """Return every ``enum`` in ``node`` with where it is."""
    found: list[tuple[str, list[Any]]] = []
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list):
            found.append((where, node["enum"]))
        for key, value in node.items():
            found += _enums(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += _enums(item, f"{where}/{index}")
    return found


# --- path ids -------------------------------------------------------------


def test_every_path_id_is_an_integer_with_a_description(schema):
    ids = [
        (path, method, parameter)
        for path, method, operation in _operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path"
    ]

    assert ids
    for path, method, parameter in ids:
        assert parameter["schema"] == {"type": "integer", "minimum": 1}, (path, method)
        assert parameter["description"].startswith("Id of the "), (path, method)


# --- security ---------------------------------------------------------------


def test_sign_up_and_sign_in_declare_no_security(schema):
    for path, method in SIGN_IN:
        assert schema["paths"][path][method]["security"] == []


@pytest.mark.parametrize(("path", "method"), PUBLIC_READS)
def test_public_reads_inherit_the_optional_token_of_the_document(schema, path, method):
    # openapi-python-client demands an AuthenticatedClient for an operation
    # with a security of its own, whatever it holds; one without takes either.
    assert "security" not in schema["paths"][path][method]
    assert schema["security"] == [{"jwtAuth": []}, {}]


def test_operations_that_need_a_token_declare_only_the_token(schema):
    for path, method in [
        ("/api/v1/auth/logout/", "post"),
        ("/api/v1/users/me/", "get"),
        ("/api/v1/movies/{id}/rating/", "put"),
        ("/api/v1/genres/", "post"),
    ]:
        assert schema["paths"][path][method]["security"] == [{"jwtAuth": []}]


# --- lists in query parameters ----------------------------------------------


def test_every_list_parameter_is_documented_in_both_forms(schema):
    lists = [
        (path, parameter)
        for path, method, operation in _operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["schema"].get("type") == "array"
    ]

    assert {parameter["name"] for _, parameter in lists} >= {"genre", "ordering"}
    for path, parameter in lists:
        assert parameter["explode"] is True, (path, parameter["name"])
        assert "comma" in parameter["description"], (path, parameter["name"])


def _ids(response: Any) -> list[int]:
    assert response.status_code == HTTPStatus.OK
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("orderings", [["-year", "title"], ["year", "title"]])
def test_movie_ordering_reads_repeated_and_comma_separated_values_alike(
    api_client, orderings
):
    for title, year in [("B", 1990), ("A", 1990), ("C", 1980), ("D", 2000)]:
        MovieFactory.create(title=title, year=year)
    url = reverse("movies:movie-list")

    repeated = _ids(api_client.get(url, {"ordering": orderings}))

    assert repeated == _ids(api_client.get(url, {"ordering": ",".join(orderings)}))
    # The second key counts: it breaks the ties of the first differently from
    # the default tie-break (id), so dropping it would change the order.
    assert repeated != _ids(api_client.get(url, {"ordering": orderings[0]}))


def test_profile_ordering_reads_repeated_and_comma_separated_values_alike(
    user, user_client
):
    for score in ["4.0", "4.0", "2.0", "4.0"]:
        RatingFactory.create(user=user, score=Decimal(score))
    url = reverse("ratings:my-ratings")
    orderings = ["-score", "updated_at"]

    repeated = _ids(user_client.get(url, {"ordering": orderings}))

    assert repeated == _ids(user_client.get(url, {"ordering": ",".join(orderings)}))
    assert repeated != _ids(user_client.get(url, {"ordering": orderings[0]}))


def test_a_repeated_list_parameter_with_an_unknown_value_is_a_400(api_client):
    response = api_client.get("/api/v1/movies/", {"ordering": ["title", "nope"]})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "ordering" in response.json()["fields"]


# --- required response fields -----------------------------------------------


@pytest.mark.parametrize(
    ("component", "fields"),
    [
        ("Rating", {"review"}),
        ("PrivateUser", {"role", "is_active", "first_name", "last_name"}),
        ("Movie", {"overview", "runtime_minutes", "imdb_id", "tmdb_id"}),
        ("PaginatedMovieList", {"count", "next", "previous", "results"}),
        ("PaginatedRatingList", {"next", "previous"}),
    ],
)
def test_response_fields_that_are_always_written_are_required(
    schema, component, fields
):
    assert fields <= set(_component(schema, component)["required"])


def test_response_bodies_hold_every_required_field(api_client):
    movie = MovieFactory.create()
    RatingFactory.create(movie=movie)
    required = set(_component(_schema(), "Movie")["required"])

    body = api_client.get("/api/v1/movies/").json()

    assert required <= set(body["results"][0])
    assert {"count", "next", "previous", "results"} <= set(body)


def test_pagination_examples_point_at_this_api(schema):
    page = _component(schema, "PaginatedMovieList")["properties"]

    for link in ("next", "previous"):
        assert "api.example.org" not in page[link]["example"]
        assert "/api/v1/movies/?page=" in page[link]["example"]


# --- enums ------------------------------------------------------------------


def test_ordering_enums_name_their_members(schema):
    parameters = {
        p["name"]: p for p in schema["paths"]["/api/v1/movies/"]["get"]["parameters"]
    }
    items = parameters["ordering"]["schema"]["items"]

    names = dict(zip(items["enum"], items["x-enum-varnames"], strict=True))
    assert names["-year"] == "YEAR_DESC"
    assert names["weighted_rating"] == "WEIGHTED_RATING"
    assert len(set(names.values())) == len(names)


def test_enum_member_names_are_constants():
    assert enum_member_name("-weighted_rating") == "WEIGHTED_RATING_DESC"
    assert enum_member_name("movie__title") == "MOVIE_TITLE"


def test_error_code_is_an_enum_of_the_stable_codes(schema):
    code = _component(schema, "Error")["properties"]["code"]

    assert code["allOf"] == [{"$ref": "#/components/schemas/ErrorCodeEnum"}]
    assert _component(schema, "ErrorCodeEnum")["enum"] == list(ERROR_CODES)


def test_no_enum_is_built_from_database_rows(django_db_blocker: Any) -> None:
    """Data (genre slugs, usernames, ids) must never become a schema enum.

    A generated client would bake today's rows into its types. The schema of
    an empty database and of one full of rows must be the same document.
    """
    empty = _schema()
    for name in ("Zydeco Films", "Anime", "Noir"):
        GenreFactory.create(name=name)
    MovieFactory.create_batch(3)
    UserFactory.create_batch(2)

    assert _schema() == empty
    slugs = {"zydeco-films", "anime", "noir"}
    for where, values in _enums(empty):
        assert not slugs & set(values), where


def test_query_parameters_whose_values_are_data_are_plain_strings(schema):
    parameters = {
        p["name"]: p for p in schema["paths"]["/api/v1/movies/"]["get"]["parameters"]
    }

    assert parameters["genre"]["schema"] == {
        "type": "array",
        "items": {"type": "string"},
    }
    assert parameters["genre"]["description"]


# --- documented behaviour ---------------------------------------------------


def test_gets_document_their_etag_and_304(schema):
    detail = schema["paths"]["/api/v1/movies/{id}/"]["get"]["responses"]

    assert "ETag" in detail["200"]["headers"]
    assert "If-None-Match" in detail["304"]["description"]
    assert "content" not in detail["304"]


def test_movie_detail_answers_the_documented_304(api_client):
    movie = MovieFactory.create()
    url = reverse("movies:movie-detail", kwargs={"pk": movie.pk})
    first = api_client.get(url)

    again = api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == HTTPStatus.NOT_MODIFIED


def test_throttled_responses_document_retry_after(schema):
    for path, _method, operation in _operations(schema):
        if "429" in operation["responses"]:
            assert "Retry-After" in operation["responses"]["429"]["headers"], path


def test_operations_of_different_paths_never_share_a_description(schema):
    seen: dict[str, str] = {}
    for path, method, operation in _operations(schema):
        description = operation.get("description")
        if description:
            assert seen.setdefault(description, path) == path, (method, path)


def test_logout_says_it_needs_both_tokens(schema):
    description = schema["paths"]["/api/v1/auth/logout/"]["post"]["description"]

    assert "access token" in description
    assert "refresh token" in description


def test_my_rating_score_steps_in_half_stars(schema):
    score = _component(schema, "MovieMyRating")["properties"]["score"]

    assert score["multipleOf"] == 0.5


def test_changing_your_own_account_offers_only_the_fields_you_may_change(schema):
    me = schema["paths"]["/api/v1/users/me/"]["patch"]["requestBody"]
    ref = me["content"]["application/json"]["schema"]["$ref"]
    fields = set(_component(schema, ref.rsplit("/", 1)[1])["properties"])

    assert fields == {"username", "first_name", "last_name"}
