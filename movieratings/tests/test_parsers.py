"""JSON bodies: nesting is bounded where they are parsed."""

from http import HTTPStatus

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from movieratings.parsers import MAX_JSON_DEPTH, json_depth
from movies.tests.factories import MovieFactory
from users.models import User

pytestmark = pytest.mark.django_db


def _nested(levels: int) -> list[object]:
    document: list[object] = ["x"]
    for _ in range(levels - 1):
        document = [document]
    return document


@pytest.mark.parametrize(
    ("document", "depth"),
    [
        ("text", 0),
        ([], 1),
        ({"genres": ["drama"]}, 2),
        ({"a": [{"b": {}}], "c": 1}, 4),
        (_nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH),
    ],
)
def test_json_depth_counts_arrays_and_objects_within_one_another(document, depth):
    assert json_depth(document) == depth


def _body(field: str, levels: int) -> bytes:
    # Built by hand: orjson writes no more than 255 levels.
    return b'{"%s": %s"x"%s}' % (field.encode(), b"[" * levels, b"]" * levels)


# Every route that reads a JSON body goes through the one parser: a sample of
# them, anonymous and signed in, each with a string field it validates.
ROUTES = {
    "auth/token/": ("post", lambda: reverse("users:auth-token"), "email"),
    "auth/signup/": ("post", lambda: reverse("users:auth-signup"), "username"),
    "auth/token/refresh/": ("post", lambda: reverse("users:auth-refresh"), "refresh"),
    "users/me/": ("patch", lambda: reverse("users:user-me"), "first_name"),
    "movies/{id}/rating/": (
        "put",
        lambda: reverse("ratings:movie-rating", args=[MovieFactory.create().pk]),
        "review",
    ),
}


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH, 1000])
@pytest.mark.parametrize("route", ROUTES.values(), ids=ROUTES.keys())
def test_json_nested_deeper_than_the_bound_is_a_400_parse_error(
    client_for, user: User, route, levels: int
):
    method, url, field = route
    client: APIClient = client_for(user)

    response = getattr(client, method)(
        url(), _body(field, levels + 1), content_type="application/json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()["code"] == "parse_error"


def test_json_nested_to_the_bound_reaches_the_serializer(client_for, user: User):
    response = client_for(user).patch(
        reverse("users:user-me"),
        _body("first_name", MAX_JSON_DEPTH - 1),
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["first_name"]
