"""A method a route does not serve is a 405 for every caller, never a 401/403."""

from collections.abc import Callable
from http import HTTPStatus

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from movies.tests.factories import MovieFactory
from users.models import User

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def _unserved() -> list[tuple[str, str, list[str]]]:
    """Return (path, method, served methods) for each method a path lacks."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method, sorted(served))
        for path, operations in schema["paths"].items()
        for served in [set(operations) & set(METHODS)]
        for method in METHODS
        if method not in served
    ]


UNSERVED = _unserved()


def test_some_routes_lack_some_methods():
    assert len(UNSERVED) > 20  # The table below is not empty by mistake.


@pytest.mark.parametrize("caller", ["anonymous", "basic", "admin"])
@pytest.mark.parametrize(
    ("path", "method", "served"),
    UNSERVED,
    ids=[f"{method.upper()} {path}" for path, method, _served in UNSERVED],
)
def test_unserved_method_is_405_with_the_served_methods_in_allow(
    client_for: Callable[[User | None], APIClient],
    user: User,
    admin_user: User,
    caller: str,
    path: str,
    method: str,
    served: list[str],
):
    client = client_for({"anonymous": None, "basic": user, "admin": admin_user}[caller])
    url = path.replace("{id}", str(MovieFactory.create().pk))

    response = getattr(client, method)(url, {}, format="json")

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED, response.content
    assert response.json()["code"] == "method_not_allowed"
    allowed = {name.strip() for name in response["Allow"].split(",")}
    assert {name.upper() for name in served} <= allowed
    assert allowed - {name.upper() for name in served} <= {"HEAD", "OPTIONS"}
