"""Every auth and users route as anonymous, the user themself, another user, admin.

The target of every route is ``user``; ``self`` is that user, ``other`` another
basic user. Token routes are called with ``user``'s credentials or refresh token.
"""

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from users.models import Role, User
from users.permissions import (
    IsAdminRole,
    IsAdminRoleOrReadOnly,
    IsSelfOrAdmin,
    is_admin,
)
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ANON, SELF, OTHER, ADMIN = "anonymous", "self", "other", "admin"
ACTORS = (ANON, SELF, OTHER, ADMIN)

Call = Callable[[APIClient, User, User | None], Any]


def _detail(target: User) -> str:
    return reverse("users:user-detail", kwargs={"pk": target.pk})


def _new_user_body(actor: User | None) -> dict[str, str]:
    name = f"new-by-{actor.pk if actor else 'anon'}"
    return {"email": f"{name}@example.com", "username": name, "password": "pw-" * 6}


ROUTES: dict[str, Call] = {
    "POST auth/signup/": lambda client, target, actor: client.post(
        reverse("users:auth-signup"), _new_user_body(actor)
    ),
    "GET auth/signup/": lambda client, target, actor: client.get(
        reverse("users:auth-signup")
    ),
    "POST auth/token/": lambda client, target, actor: client.post(
        reverse("users:auth-token"),
        {"email": target.email, "password": DEFAULT_PASSWORD},
    ),
    "POST auth/token/refresh/": lambda client, target, actor: client.post(
        reverse("users:auth-refresh"), {"refresh": str(RefreshToken.for_user(target))}
    ),
    "POST auth/logout/": lambda client, target, actor: client.post(
        reverse("users:auth-logout"), {"refresh": str(RefreshToken.for_user(target))}
    ),
    "GET users/": lambda client, target, actor: client.get(reverse("users:user-list")),
    "POST users/": lambda client, target, actor: client.post(
        reverse("users:user-list"), {**_new_user_body(actor), "role": "basic"}
    ),
    "GET users/{id}/": lambda client, target, actor: client.get(_detail(target)),
    "PATCH users/{id}/": lambda client, target, actor: client.patch(
        _detail(target), {"first_name": "Changed"}
    ),
    "PUT users/{id}/": lambda client, target, actor: client.put(
        _detail(target), {"first_name": "Changed"}
    ),
    "DELETE users/{id}/": lambda client, target, actor: client.delete(_detail(target)),
    "GET users/me/": lambda client, target, actor: client.get(reverse("users:user-me")),
    "PATCH users/me/": lambda client, target, actor: client.patch(
        reverse("users:user-me"), {"last_name": "Changed"}
    ),
    "POST users/me/password/": lambda client, target, actor: client.post(
        reverse("users:user-password"),
        {"old_password": DEFAULT_PASSWORD, "new_password": "a-fresh-passphrase-3"},
    ),
}

OK, CREATED, NO_CONTENT = HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.NO_CONTENT
UNAUTHORIZED, FORBIDDEN = HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN
NOT_ALLOWED = HTTPStatus.METHOD_NOT_ALLOWED

# route -> expected status for anonymous, self, other, admin.
TABLE: dict[str, tuple[HTTPStatus, HTTPStatus, HTTPStatus, HTTPStatus]] = {
    "POST auth/signup/": (CREATED, CREATED, CREATED, CREATED),
    "GET auth/signup/": (NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    "POST auth/token/": (OK, OK, OK, OK),
    "POST auth/token/refresh/": (OK, OK, OK, OK),
    "POST auth/logout/": (UNAUTHORIZED, NO_CONTENT, UNAUTHORIZED, UNAUTHORIZED),
    "GET users/": (UNAUTHORIZED, FORBIDDEN, FORBIDDEN, OK),
    "POST users/": (UNAUTHORIZED, FORBIDDEN, FORBIDDEN, CREATED),
    "GET users/{id}/": (UNAUTHORIZED, OK, OK, OK),
    "PATCH users/{id}/": (UNAUTHORIZED, OK, FORBIDDEN, OK),
    "PUT users/{id}/": (NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    "DELETE users/{id}/": (UNAUTHORIZED, NO_CONTENT, FORBIDDEN, NO_CONTENT),
    "GET users/me/": (UNAUTHORIZED, OK, OK, OK),
    "PATCH users/me/": (UNAUTHORIZED, OK, OK, OK),
    "POST users/me/password/": (UNAUTHORIZED, NO_CONTENT, NO_CONTENT, NO_CONTENT),
}

CASES = [
    pytest.param(route, actor, expected, id=f"{route} as {actor} -> {int(expected)}")
    for route, statuses in TABLE.items()
    for actor, expected in zip(ACTORS, statuses, strict=True)
]


def test_table_covers_every_route():
    assert set(TABLE) == set(ROUTES)


@pytest.mark.parametrize(("route", "actor", "expected"), CASES)
def test_route_permission(
    client_for: Callable[[User | None], APIClient],
    user: User,
    other_user: User,
    admin_user: User,
    route: str,
    actor: str,
    expected: HTTPStatus,
):
    caller = {ANON: None, SELF: user, OTHER: other_user, ADMIN: admin_user}[actor]

    response = ROUTES[route](client_for(caller), user, caller)

    assert response.status_code == expected, response.content
    if expected >= HTTPStatus.BAD_REQUEST:
        assert set(response.json()) == {"detail", "code", "fields"}
    if expected == UNAUTHORIZED:
        assert response.has_header("WWW-Authenticate")


# The permission classes themselves, through real requests' users.


class _Request:
    def __init__(self, user: Any, method: str = "GET") -> None:
        self.user = user
        self.method = method


@pytest.mark.parametrize(
    ("role", "superuser", "expected"),
    [(Role.BASIC, False, False), (Role.ADMIN, False, True), (Role.ADMIN, True, True)],
)
def test_is_admin_follows_role_and_superuser(role, superuser, expected):
    account = UserFactory.create(role=role, is_superuser=superuser)

    assert is_admin(_Request(account)) is expected  # type: ignore[arg-type]
    assert IsAdminRole().has_permission(_Request(account), None) is expected  # type: ignore[arg-type]


def test_is_admin_is_false_for_anonymous():
    from django.contrib.auth.models import AnonymousUser

    assert is_admin(_Request(AnonymousUser())) is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "role", "expected"),
    [
        ("GET", Role.BASIC, True),
        ("HEAD", Role.BASIC, True),
        ("OPTIONS", Role.BASIC, True),
        ("POST", Role.BASIC, False),
        ("PATCH", Role.BASIC, False),
        ("DELETE", Role.BASIC, False),
        ("POST", Role.ADMIN, True),
        ("DELETE", Role.ADMIN, True),
    ],
)
def test_is_admin_role_or_read_only(method, role, expected):
    account = UserFactory.create(role=role)
    request = _Request(account, method)

    assert IsAdminRoleOrReadOnly().has_permission(request, None) is expected  # type: ignore[arg-type]


def test_is_self_or_admin_allows_self_and_admins_only(user, other_user, admin_user):
    permission = IsSelfOrAdmin()

    assert permission.has_object_permission(_Request(user), None, user)  # type: ignore[arg-type]
    assert permission.has_object_permission(_Request(admin_user), None, user)  # type: ignore[arg-type]
    assert not permission.has_object_permission(_Request(other_user), None, user)  # type: ignore[arg-type]
