"""API5 Broken Function Level Authorization: every operation as every role.

``TABLE`` states, for every operation of the OpenAPI schema, the status that an
anonymous caller, a basic user and an admin get (docs/API.md, "who"). The
operations are read from the schema that the server generates, so a route
added without a row here fails ``test_table_covers_every_operation_of_the_schema``.

Targets are someone else's where ownership matters (another user's account
and rating), so that the table shows what a role may do, not what an owner
may: owners are API1's subject (``test_api1_object_level_authorization``).
A refused call changes nothing in the database.

Per-app tables with more actors already exist and stay: users and auth in
``users/tests/test_permissions.py``, catalogue in
``movies/tests/test_views_permissions.py``, ratings in
``ratings/tests/test_api_ratings.py`` (owner vs. others).
"""

from http import HTTPStatus

import pytest

from .operations import (
    ROLES,
    SPECS,
    RoleName,
    build_world,
    call,
    error_body,
    operation,
    operations,
    snapshot,
    valid_body,
)

pytestmark = pytest.mark.django_db

OK, CREATED, NO_CONTENT = HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.NO_CONTENT
UNAUTHORIZED, FORBIDDEN = HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN
NOT_FOUND = HTTPStatus.NOT_FOUND

# operation -> status for (anonymous, basic, admin).
TABLE: dict[str, tuple[HTTPStatus, HTTPStatus, HTTPStatus]] = {
    # Auth: open to anyone; signing out needs the token of the session.
    "POST /api/v1/auth/signup/": (CREATED, CREATED, CREATED),
    "POST /api/v1/auth/token/": (OK, OK, OK),
    "POST /api/v1/auth/token/refresh/": (OK, OK, OK),
    "POST /api/v1/auth/logout/": (UNAUTHORIZED, NO_CONTENT, NO_CONTENT),
    # Catalogue: anyone reads, admins write.
    "GET /api/v1/genres/": (OK, OK, OK),
    "POST /api/v1/genres/": (UNAUTHORIZED, FORBIDDEN, CREATED),
    "GET /api/v1/genres/{id}/": (OK, OK, OK),
    "PATCH /api/v1/genres/{id}/": (UNAUTHORIZED, FORBIDDEN, OK),
    "DELETE /api/v1/genres/{id}/": (UNAUTHORIZED, FORBIDDEN, NO_CONTENT),
    "GET /api/v1/movies/": (OK, OK, OK),
    "POST /api/v1/movies/": (UNAUTHORIZED, FORBIDDEN, CREATED),
    "GET /api/v1/movies/{id}/": (OK, OK, OK),
    "PUT /api/v1/movies/{id}/": (UNAUTHORIZED, FORBIDDEN, OK),
    "PATCH /api/v1/movies/{id}/": (UNAUTHORIZED, FORBIDDEN, OK),
    "DELETE /api/v1/movies/{id}/": (UNAUTHORIZED, FORBIDDEN, NO_CONTENT),
    "GET /api/v1/movies/{id}/ratings/": (OK, OK, OK),
    "GET /api/v1/movies/{id}/similar/": (OK, OK, OK),
    # The caller's own rating of a movie (basic and admin have rated it).
    "GET /api/v1/movies/{id}/rating/": (UNAUTHORIZED, OK, OK),
    "PUT /api/v1/movies/{id}/rating/": (UNAUTHORIZED, OK, OK),
    "DELETE /api/v1/movies/{id}/rating/": (UNAUTHORIZED, NO_CONTENT, NO_CONTENT),
    # Ratings: the target is another user's; admins may only delete it.
    "GET /api/v1/ratings/": (UNAUTHORIZED, OK, OK),
    "POST /api/v1/ratings/": (UNAUTHORIZED, CREATED, CREATED),
    "GET /api/v1/ratings/{id}/": (OK, OK, OK),
    "PUT /api/v1/ratings/{id}/": (UNAUTHORIZED, FORBIDDEN, FORBIDDEN),
    "PATCH /api/v1/ratings/{id}/": (UNAUTHORIZED, FORBIDDEN, FORBIDDEN),
    "DELETE /api/v1/ratings/{id}/": (UNAUTHORIZED, FORBIDDEN, NO_CONTENT),
    # Users: the target is another user; admins manage users.
    "GET /api/v1/users/": (UNAUTHORIZED, FORBIDDEN, OK),
    "POST /api/v1/users/": (UNAUTHORIZED, FORBIDDEN, CREATED),
    "GET /api/v1/users/{id}/": (UNAUTHORIZED, OK, OK),
    "PATCH /api/v1/users/{id}/": (UNAUTHORIZED, FORBIDDEN, OK),
    "DELETE /api/v1/users/{id}/": (UNAUTHORIZED, FORBIDDEN, NO_CONTENT),
    "GET /api/v1/users/{id}/ratings/": (UNAUTHORIZED, OK, OK),
    # Recommendations: a user's own, and admins'.
    "GET /api/v1/users/{id}/recommendations/": (UNAUTHORIZED, FORBIDDEN, OK),
    "GET /api/v1/users/me/": (UNAUTHORIZED, OK, OK),
    "PATCH /api/v1/users/me/": (UNAUTHORIZED, OK, OK),
    "POST /api/v1/users/me/password/": (UNAUTHORIZED, NO_CONTENT, NO_CONTENT),
    "GET /api/v1/users/me/ratings/": (UNAUTHORIZED, OK, OK),
    # History import and export: one's own account only.
    "POST /api/v1/users/me/imports/": (UNAUTHORIZED, CREATED, CREATED),
    "GET /api/v1/users/me/export/": (UNAUTHORIZED, OK, OK),
    # Watchlist, diary, taste: anyone signed in reads anyone's; each writes
    # their own (another's diary entry is not found).
    "PUT /api/v1/movies/{id}/watchlist/": (UNAUTHORIZED, OK, OK),
    "DELETE /api/v1/movies/{id}/watchlist/": (UNAUTHORIZED, NO_CONTENT, NO_CONTENT),
    "GET /api/v1/users/me/watchlist/": (UNAUTHORIZED, OK, OK),
    "GET /api/v1/users/{id}/watchlist/": (UNAUTHORIZED, OK, OK),
    "GET /api/v1/users/me/diary/": (UNAUTHORIZED, OK, OK),
    "POST /api/v1/users/me/diary/": (UNAUTHORIZED, CREATED, CREATED),
    "PATCH /api/v1/users/me/diary/{id}/": (UNAUTHORIZED, NOT_FOUND, NOT_FOUND),
    "DELETE /api/v1/users/me/diary/{id}/": (UNAUTHORIZED, NOT_FOUND, NOT_FOUND),
    "GET /api/v1/users/{id}/diary/": (UNAUTHORIZED, OK, OK),
    "GET /api/v1/users/me/stats/": (UNAUTHORIZED, OK, OK),
    "GET /api/v1/users/{id}/stats/": (UNAUTHORIZED, OK, OK),
    "GET /api/v1/users/me/recommendations/": (UNAUTHORIZED, OK, OK),
    # Probes: no authentication at all.
    "GET /healthz/": (OK, OK, OK),
    "GET /readyz/": (OK, OK, OK),
}

CASES = [
    pytest.param(key, role, expected, id=f"{key} as {role} -> {int(expected)}")
    for key, statuses in TABLE.items()
    for role, expected in zip(ROLES, statuses, strict=True)
]


def test_table_covers_every_operation_of_the_schema() -> None:
    in_schema = {op.key for op in operations()}

    assert sorted(in_schema - set(TABLE)) == [], "operations without a table row"
    assert sorted(set(TABLE) - in_schema) == [], "table rows the schema lacks"
    assert sorted(in_schema - set(SPECS)) == [], "operations without a call spec"


@pytest.mark.parametrize(("key", "role", "expected"), CASES)
def test_operation_as_role_answers_the_tables_status(
    key: str, role: RoleName, expected: HTTPStatus
) -> None:
    op = operation(key)
    world = build_world()
    body = valid_body(op, world, role)
    before = snapshot()

    response = call(op, world, role, body=body)

    assert response.status_code == expected, response.content
    assert response.status_code in op.documented_statuses, "undocumented status"
    if expected >= HTTPStatus.BAD_REQUEST:
        error_body(response)
        assert snapshot() == before, "a refused call changed the database"
    if expected == UNAUTHORIZED:
        assert response["WWW-Authenticate"].startswith("Bearer")
