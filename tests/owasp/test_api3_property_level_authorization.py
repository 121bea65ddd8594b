"""API3 Broken Object Property Level Authorization: what clients may write and read.

Writing: every write operation of the schema is called, by each role that may
call it, with a valid body plus one server-owned property (role, is_active,
the author of a rating, a movie's aggregates, timestamps, ids ...). The call
may succeed or be refused, but afterwards no existing row has changed in a
property the caller may not set, new rows carry the values the server chose,
and every movie's aggregates still equal what its ratings imply. Only the
properties docs/API.md gives to admins (a user's role, active status and
email) are exempt, and only for admins.

Reading: no response of any operation shows another user's private data
(email, names) to anyone but an admin, nor anyone's password hash to anyone.

Already covered elsewhere: sign-up ignoring role/is_staff/is_superuser
(``users/tests/test_auth.py::test_signup_ignores_privileged_fields_in_body``),
movie aggregates in create/patch bodies (``movies/tests/test_views_movie_writes.py``),
the public user shape of ratings (``ratings/tests/test_api_ratings.py``).
"""

import json
from datetime import datetime
from typing import Any

import pytest

from movies import aggregates
from movies.models import SCORES, Genre, Movie, distribution_field
from ratings.models import Rating
from users.models import Role, User

from .operations import (
    ROLES,
    Operation,
    RoleName,
    World,
    build_world,
    call,
    content_of,
    error_body,
    input_cases,
    operations,
    valid_body,
    write_operations,
)

pytestmark = pytest.mark.django_db

EVIL_ID = 987654321
EVIL_TIME = "2000-01-01T00:00:00Z"
EVIL_YEAR = 2000
PASSWORD_HASH_MARKERS = ("md5$", "argon2", "pbkdf2_sha256$", "bcrypt")

# Documented as inputs on some operations, but only admins may set them.
PRIVILEGED = {"role", "is_active", "email"}
# The server's alone, on every operation.
SERVER_OWNED = {
    "id",
    "pk",
    "user",
    "user_id",
    "created_by",
    "rating_count",
    "rating_sum",
    "rating_average",
    "average_rating",
    "weighted_rating",
    "rating_distribution",
    *(distribution_field(score) for score in SCORES),
    "ratings_count",
    "average_score",
    "my_rating",
    "created_at",
    "updated_at",
    "date_joined",
    "last_login",
    "is_staff",
    "is_superuser",
}
# Ordinary inputs of some operations, smuggled into the others.
INJECTED_IF_UNDOCUMENTED = ["password", "movie"]
# What docs/API.md lets a caller set beyond the ordinary fields.
ALLOWED: dict[tuple[str, RoleName], set[str]] = {
    ("POST /api/v1/auth/signup/", "anonymous"): {"email", "password"},
    ("POST /api/v1/auth/token/", "anonymous"): {"email", "password"},
    ("POST /api/v1/users/", "admin"): {"email", "password", "role"},
    ("PATCH /api/v1/users/{id}/", "admin"): {"email", "role", "is_active"},
    ("PATCH /api/v1/users/me/", "admin"): {"email", "role", "is_active"},
}
# Request properties the schema may document for these operations.
DOCUMENTED_PRIVILEGED = {
    "POST /api/v1/auth/signup/": {"email"},
    "POST /api/v1/auth/token/": {"email"},
    "POST /api/v1/users/": {"email", "role"},
    "PATCH /api/v1/users/{id}/": PRIVILEGED,
    "PATCH /api/v1/users/me/": set(),
}
# The account's own endpoint documents what every caller may change; the
# privileged properties, which admins may also send there, are refused (403)
# for everyone else rather than ignored.
REFUSED_IF_UNDOCUMENTED = {"PATCH /api/v1/users/me/": PRIVILEGED}


def evil_values(world: World) -> dict[str, Any]:
    """Return what an attacker would like each protected property to become."""
    return {
        "id": EVIL_ID,
        "pk": EVIL_ID,
        "role": Role.ADMIN.value,
        "is_active": False,
        "is_staff": True,
        "is_superuser": True,
        "email": "hijacked@mail.example",
        "password": "an-injected-passphrase-9",
        "user": world.other.pk,
        "user_id": world.other.pk,
        "movie": world.classic.pk,
        "created_by": world.other.pk,
        "rating_count": 999,
        "rating_sum": 999,
        "rating_average": 4.99,
        "average_rating": 4.99,
        "weighted_rating": 4.99,
        "rating_distribution": {"5.0": 999},
        **{distribution_field(score): 999 for score in SCORES},
        "ratings_count": 999,
        "average_score": 0.5,
        "my_rating": {"id": EVIL_ID, "score": 5.0},
        "created_at": EVIL_TIME,
        "updated_at": EVIL_TIME,
        "date_joined": EVIL_TIME,
        "last_login": EVIL_TIME,
    }


def _injections(op: Operation, role: RoleName) -> list[tuple[str, ...]]:
    """Return the sets of properties to smuggle into ``op`` called by ``role``.

    Properties the operation does not document go in all at once: the call
    must succeed and ignore every one of them. A privileged property that the
    operation documents goes in alone, as a caller other than an admin would
    try it (and be refused).
    """
    allowed = ALLOWED.get((op.key, role), set())
    documented = set(op.request_properties) | REFUSED_IF_UNDOCUMENTED.get(op.key, set())
    candidates = [*sorted(SERVER_OWNED), *sorted(PRIVILEGED), *INJECTED_IF_UNDOCUMENTED]
    ignored = tuple(
        name for name in candidates if name not in allowed and name not in documented
    )
    refused = [
        (name,) for name in sorted(PRIVILEGED & documented) if name not in allowed
    ]
    return [ignored, *refused]


CASES = [
    pytest.param(
        op,
        role,
        names,
        id=f"{op.key} as {role}: {names[0] if len(names) == 1 else 'undocumented'}",
    )
    for op, role in input_cases()
    for names in _injections(op, role)
]


def _protected_state() -> dict[str, dict[int, tuple[Any, ...]]]:
    return {
        "users": {
            row[0]: row[1:]
            for row in User.objects.values_list(
                "pk",
                "role",
                "is_active",
                "is_superuser",
                "date_joined",
                "email",
                "password",
            )
        },
        "ratings": {
            row[0]: row[1:]
            for row in Rating.objects.values_list(
                "pk", "user_id", "movie_id", "created_at"
            )
        },
        "movies": {
            row[0]: row[1:]
            for row in Movie.objects.values_list("pk", "created_at", "created_by_id")
        },
        "genres": dict.fromkeys(Genre.objects.values_list("pk", flat=True), ()),
    }


_USER_COLUMNS = [
    "role",
    "is_active",
    "is_superuser",
    "date_joined",
    "email",
    "password",
]


def _assert_no_property_changed(
    before: dict[str, dict[int, tuple[Any, ...]]],
    after: dict[str, dict[int, tuple[Any, ...]]],
    *,
    exempt: set[str],
) -> None:
    kept = [i for i, column in enumerate(_USER_COLUMNS) if column not in exempt]
    for pk, row in before["users"].items():
        if pk in after["users"]:
            now = after["users"][pk]
            assert [row[i] for i in kept] == [now[i] for i in kept], pk
    for table in ("ratings", "movies"):
        for pk, row in before[table].items():
            if pk in after[table]:
                assert after[table][pk] == row, (table, pk)


def _assert_new_rows_carry_server_values(
    before: dict[str, dict[int, tuple[Any, ...]]],
    after: dict[str, dict[int, tuple[Any, ...]]],
    *,
    actor: User | None,
    exempt: set[str],
    world: World,
) -> None:
    for table in after:
        assert EVIL_ID not in after[table], table
    for pk in set(after["users"]) - set(before["users"]):
        user = User.objects.get(pk=pk)
        if "role" not in exempt:
            assert user.role == Role.BASIC
        assert user.is_active
        assert not user.is_superuser
        assert user.date_joined.year != EVIL_YEAR
    for pk in set(after["ratings"]) - set(before["ratings"]):
        rating = Rating.objects.get(pk=pk)
        assert actor is not None
        assert rating.user_id == actor.pk
        assert rating.movie_id != world.classic.pk
        assert rating.created_at.year != EVIL_YEAR
    for pk in set(after["movies"]) - set(before["movies"]):
        movie = Movie.objects.get(pk=pk)
        assert movie.created_by_id == (actor.pk if actor else None)
        assert movie.created_at.year != EVIL_YEAR
        assert movie.rating_count == 0


def _assert_no_evil_timestamps() -> None:
    evil = datetime.fromisoformat(EVIL_TIME)
    assert not Movie.objects.filter(updated_at=evil).exists()
    assert not Rating.objects.filter(updated_at=evil).exists()
    assert not User.objects.filter(last_login=evil).exists()


@pytest.mark.parametrize(("op", "role", "names"), CASES)
def test_server_owned_properties_in_a_write_change_nothing_they_guard(
    op: Operation, role: RoleName, names: tuple[str, ...]
) -> None:
    world = build_world()
    actor = world.user(role)
    evil = evil_values(world)
    body = {**(valid_body(op, world, role) or {}), **{n: evil[n] for n in names}}
    exempt = ALLOWED.get((op.key, role), set())
    if op.key == "POST /api/v1/users/me/password/":
        exempt = exempt | {"password"}
    before = _protected_state()

    response = call(op, world, role, body=body, legit=True)

    refused = set(op.request_properties) | REFUSED_IF_UNDOCUMENTED.get(op.key, set())
    if set(names) <= refused:
        # A privileged property: only admins may set it (403, nothing applied).
        assert response.status_code == 403, response.content
        error_body(response)
    else:
        # Properties the operation does not take are ignored.
        assert response.status_code < 300, response.content
        assert _leaks(content_of(response), world, actor) == []
    after = _protected_state()
    _assert_no_property_changed(before, after, exempt=exempt)
    _assert_new_rows_carry_server_values(
        before, after, actor=actor, exempt=exempt, world=world
    )
    _assert_no_evil_timestamps()
    assert aggregates.rebuild() == []


@pytest.mark.parametrize("op", write_operations(), ids=lambda op: op.key)
def test_request_schemas_document_no_server_owned_property(op: Operation) -> None:
    documented = set(op.request_properties)

    assert documented & SERVER_OWNED == set()
    assert documented & PRIVILEGED <= DOCUMENTED_PRIVILEGED.get(op.key, set())


def _leaks(body: bytes, world: World, viewer: User | None) -> list[str]:
    text = body.decode()
    secrets = (
        []
        if viewer is not None and viewer.is_admin
        else world.secrets_of_others(viewer)
    )
    return [s for s in [*secrets, *PASSWORD_HASH_MARKERS] if s in text]


@pytest.mark.parametrize(
    "op", [op for op in operations() if op.method == "GET"], ids=lambda op: op.key
)
def test_no_read_shows_private_data_of_others_or_any_password_hash(
    op: Operation,
) -> None:
    world = build_world()
    for role in ROLES:
        response = call(op, world, role)
        if response.status_code >= 400:
            continue

        assert _leaks(content_of(response), world, world.user(role)) == [], role


def test_leak_detector_finds_a_leak() -> None:
    # The control: an email of another user in a body is found.
    world = build_world()
    body = json.dumps({"user": {"email": world.other.email}}).encode()

    assert _leaks(body, world, world.basic) == [world.other.email]
