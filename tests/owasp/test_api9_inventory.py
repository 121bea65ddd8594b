"""API9 Improper Inventory Management: what is served is what is documented.

Three inventories must agree: the operations of docs/API.md (its tables, and
the sentence that gives the genres routes), the operations of the OpenAPI
schema the server generates, and the routes the server actually resolves. No
hidden route, no undocumented method (every other method is a 405, TRACE
included), no second API version, no leftover path outside the contract.

Covered elsewhere: the documentation pages are served with local assets
(``movieratings/tests/test_docs_pages.py``, ``tests/test_production_server.py``);
each app's schema test checks fields and statuses of its operations.
"""

import re
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from .operations import Operation, build_world, call, error_body, operations

API_MD = Path(settings.BASE_DIR) / "docs" / "API.md"
API_PREFIX = "/api/v1/"
# The documentation of the API, served beside it but not operations of it.
DOC_PAGES = {"/api/schema/", "/api/docs/", "/api/redoc/"}
# The genres routes are given in a sentence, not a table; this is what it says.
GENRES_SENTENCE = "GET list/detail: anyone. POST/PATCH/DELETE: admin."
GENRES_OPERATIONS = {
    ("GET", "/api/v1/genres/"),
    ("GET", "/api/v1/genres/{id}/"),
    ("POST", "/api/v1/genres/"),
    ("PATCH", "/api/v1/genres/{id}/"),
    ("DELETE", "/api/v1/genres/{id}/"),
}
TOP_LEVEL_ROUTES = {
    "api/v1/",
    "api/schema/",
    "api/docs/",
    "api/redoc/",
    "healthz/",
    "readyz/",
    "admin/",
    # Every other path under /api/: a JSON 404 (or a 308 to add the slash).
    "^api/(?P<path>.*)$",
}
HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
ODD_METHODS = ["TRACE", "CONNECT", "PROPFIND", "FOO"]

# "| GET | `movies/` |", "| PATCH / DELETE | `a/`, `b/` |": methods by paths.
_TABLE_ROW = re.compile(r"^\| ([A-Z]+(?: ?/ ?[A-Z]+)*) \| ((?:`[^`]+`(?:, )?)+) \|")
_OPERATIONS_ROW = re.compile(r"^\| `([A-Z]+) (/[^`]*)` \|")


def contract_operations() -> set[tuple[str, str]]:
    """Return every (method, path) that docs/API.md documents."""
    text = API_MD.read_text()
    found: set[tuple[str, str]] = set()
    for line in text.splitlines():
        if match := _TABLE_ROW.match(line):
            methods, paths = match.groups()
            found |= {
                (method, API_PREFIX + path)
                for method in re.split(r" ?/ ?", methods)
                for path in re.findall(r"`([^`]+)`", paths)
            }
        elif match := _OPERATIONS_ROW.match(line):
            found.add((match.group(1), match.group(2)))
    assert GENRES_SENTENCE in text, "the genres routes changed in docs/API.md"
    return found | GENRES_OPERATIONS


def schema_operations() -> set[tuple[str, str]]:
    return {(op.method, op.path) for op in operations()}


def _as_schema_path(route: str) -> str:
    """Turn a URL pattern into the schema's form: ``movies/{id}/``."""
    route = route.removeprefix("^").removesuffix("$").removesuffix("\\Z")
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "{id}", route)
    return re.sub(r"<(?:\w+:)?\w+>", "{id}", route)


def _view_methods(callback: Any) -> set[str]:
    """Return the HTTP methods a resolved view answers with a handler."""
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        return set()
    # A viewset answers its routed actions; other views their handler methods.
    # Either way only the methods the view accepts at all (http_method_names).
    actions = getattr(callback, "actions", None)
    handled = set(actions) if actions is not None else set(dir(view_class))
    return {
        method
        for method in HTTP_METHODS
        if method.lower() in handled and method.lower() in view_class.http_method_names
    }


def resolved_routes(
    patterns: list[URLPattern | URLResolver] | None = None, prefix: str = "/"
) -> Iterator[tuple[str, Any]]:
    """Yield (path in the schema's form, view) for every route the server serves."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        path = prefix + _as_schema_path(str(entry.pattern))
        if isinstance(entry, URLResolver):
            yield from resolved_routes(entry.url_patterns, path)
        else:
            yield path, entry.callback


def served_api_operations() -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, callback in resolved_routes()
        if path.startswith(API_PREFIX) or path in {"/healthz/", "/readyz/"}
        for method in _view_methods(callback)
    }


def test_schema_documents_exactly_the_contracts_operations() -> None:
    contract = contract_operations() - {("GET", page) for page in DOC_PAGES}

    assert sorted(schema_operations() - contract) == [], "not in docs/API.md"
    assert sorted(contract - schema_operations()) == [], "missing from the schema"


def test_server_routes_exactly_the_schemas_operations() -> None:
    served = served_api_operations()

    assert sorted(served - schema_operations()) == [], "served but undocumented"
    assert sorted(schema_operations() - served) == [], "documented but not served"


def test_nothing_is_routed_outside_the_contracts_top_level_paths() -> None:
    top_level = {str(entry.pattern) for entry in get_resolver().url_patterns}

    assert top_level == TOP_LEVEL_ROUTES


@pytest.mark.django_db
@pytest.mark.parametrize("page", sorted(DOC_PAGES))
def test_documentation_pages_of_the_contract_are_served(page: str) -> None:
    assert APIClient().get(page).status_code == HTTPStatus.OK


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    sorted({op.path for op in operations()}),
)
def test_undocumented_methods_are_405(path: str) -> None:
    world = build_world()
    documented = {op.method for op in operations() if op.path == path}
    for method in [*HTTP_METHODS, *ODD_METHODS]:
        if method in documented:
            continue
        probe = Operation(method, path, {})

        response = call(probe, world, "admin", body={}, path=_concrete(path, world))

        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED, (
            method,
            response.content,
        )
        error_body(response)
        assert set(response["Allow"].replace(" ", "").split(",")) >= documented


def _concrete(path: str, world: Any) -> str:
    ids = {"genres": world.genre.pk, "movies": world.movie.pk}
    ids |= {"ratings": world.admin_rating.pk, "users": world.subject.pk}
    resource = path.removeprefix(API_PREFIX).split("/")[0]
    return path.format(id=ids.get(resource, 0))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v2/movies/", "/api/movies/", "/api/v0/movies/", "/v1/movies/"]
)
def test_no_other_version_of_the_api_is_served(path: str) -> None:
    response = APIClient().get(path)

    assert response.status_code == HTTPStatus.NOT_FOUND
    error_body(response)
