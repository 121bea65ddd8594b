"""No input to an auth or users route causes a 500: odd bodies, methods, ids."""

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from users.models import Role, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    10**40,
    1.5e308,
    "",
    " ",
    "\x00",
    "\ud7ff\ue000",
    "x" * 5000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    [],
    ["admin"],
    {},
    {"nested": {"deeper": [1, 2, 3]}},
]
ODD_BODIES = [
    "[]",
    "[{}]",
    '"a string"',
    "0",
    "null",
    "true",
    "{}",
    '{"a": 1, "a": 2}',
    "{" * 500 + "}" * 500,
    "[" * 5000 + "]" * 5000,
    '{"email": "\\ud800"}',
    "\xff\xfe",
]
BODY_ROUTES = {
    "signup": ("post", "users:auth-signup", ["email", "username", "password"]),
    "token": ("post", "users:auth-token", ["email", "password"]),
    "refresh": ("post", "users:auth-refresh", ["refresh"]),
    "logout": ("post", "users:auth-logout", ["refresh"]),
    "user-create": (
        "post",
        "users:user-list",
        ["email", "username", "password", "role"],
    ),
    "user-update": (
        "patch",
        "users:user-detail",
        ["email", "username", "first_name", "last_name", "role", "is_active"],
    ),
    "me-update": ("patch", "users:user-me", ["username", "first_name", "role"]),
    "password": ("post", "users:user-password", ["old_password", "new_password"]),
}


def _url(name: str, target: User) -> str:
    if name == "users:user-detail":
        return reverse(name, kwargs={"pk": target.pk})
    return reverse(name)


@pytest.fixture
def admin_caller(client_for: Callable[[User | None], APIClient]) -> APIClient:
    return client_for(UserFactory.create(role=Role.ADMIN))


def _assert_handled(response: Any) -> None:
    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, response.content
    if response.status_code >= HTTPStatus.BAD_REQUEST and response.content:
        assert set(response.json()) == {"detail", "code", "fields"}


@pytest.mark.parametrize("route", list(BODY_ROUTES))
def test_odd_field_values_never_cause_a_server_error(admin_caller, user, route):
    method, name, fields = BODY_ROUTES[route]
    for field in fields:
        for value in ODD_VALUES:
            response = getattr(admin_caller, method)(
                _url(name, user), {field: value}, format="json"
            )
            _assert_handled(response)


@pytest.mark.parametrize("route", list(BODY_ROUTES))
def test_odd_json_documents_never_cause_a_server_error(admin_caller, user, route):
    method, name, _fields = BODY_ROUTES[route]
    for body in ODD_BODIES:
        response = getattr(admin_caller, method)(
            _url(name, user),
            data=body.encode("utf-8", "surrogatepass"),
            content_type="application/json",
        )
        _assert_handled(response)
        if response.status_code >= HTTPStatus.BAD_REQUEST:
            json.dumps(response.json())


@pytest.mark.parametrize(
    "name",
    ["users:user-list", "users:user-me", "users:auth-signup", "users:auth-token"],
)
@pytest.mark.parametrize("method", ["options", "head", "put", "delete", "patch"])
def test_any_method_on_any_route_is_handled(admin_caller, user, name, method):
    _assert_handled(getattr(admin_caller, method)(_url(name, user)))


@pytest.mark.parametrize("method", ["options", "head", "post", "put"])
def test_any_method_on_user_detail_is_handled(admin_caller, user, method):
    _assert_handled(getattr(admin_caller, method)(_url("users:user-detail", user)))


@pytest.mark.parametrize(
    "pk", ["0", "00", "9" * 30, "-1", "1e3", "%00", "\uff11"], ids=repr
)
def test_odd_user_ids_are_404(admin_caller, pk):
    response = admin_caller.get(f"{reverse('users:user-list')}{pk}/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert set(response.json()) == {"detail", "code", "fields"}


@pytest.mark.parametrize(
    "params",
    [
        {"search": "x" * 300},
        {"search": "%_\\"},
        {"role": ["admin", "basic"]},
        {"ordering": "password"},
        {"page": "1", "page_size": "100", "search": "\ud7ff"},
    ],
)
def test_odd_list_parameters_are_handled(admin_caller, params):
    _assert_handled(admin_caller.get(reverse("users:user-list"), params))


def test_demoted_admin_loses_admin_routes_at_once(client_for, admin_user):
    client = client_for(admin_user)
    assert client.get(reverse("users:user-list")).status_code == HTTPStatus.OK

    User.objects.filter(pk=admin_user.pk).update(role=Role.BASIC)

    assert client.get(reverse("users:user-list")).status_code == HTTPStatus.FORBIDDEN
