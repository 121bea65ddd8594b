"""The users resource: list, create, detail, change, delete, me, password."""

from collections.abc import Callable
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from movies.models import Movie
from ratings.services import rating_create
from users.models import Role, User
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], APIClient]

PRIVATE_FIELDS = {
    "id",
    "email",
    "username",
    "first_name",
    "last_name",
    "role",
    "is_active",
    "date_joined",
    "ratings_count",
}
PUBLIC_FIELDS = {"id", "username", "date_joined", "ratings_count"}
NEW_PASSWORD = "another-long-passphrase-2"


def _detail(user: User) -> str:
    return reverse("users:user-detail", kwargs={"pk": user.pk})


def _assert_error(response: Any, status: HTTPStatus) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    return body


def _rate(user: User, *scores: str) -> None:
    for index, score in enumerate(scores):
        movie = Movie.objects.create(title=f"Film {user.pk}-{index}", year=2000)
        rating_create(user=user, movie=movie, score=Decimal(score))


def _sign_in(email: str, password: str) -> Any:
    return APIClient().post(
        reverse("users:auth-token"), {"email": email, "password": password}
    )


# --- list --------------------------------------------------------------------


def test_user_list_as_admin_returns_paginated_private_users(admin_client, user):
    response = admin_client.get(reverse("users:user-list"))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert all(set(item) == PRIVATE_FIELDS for item in body["results"])
    assert user.email in {item["email"] for item in body["results"]}


def test_user_list_includes_deactivated_users_for_admins(admin_client, user):
    User.objects.filter(pk=user.pk).update(is_active=False)

    results = admin_client.get(reverse("users:user-list")).json()["results"]

    assert {item["id"]: item["is_active"] for item in results}[user.pk] is False


def test_user_list_counts_ratings(admin_client, user):
    _rate(user, "4.0", "2.5")

    results = admin_client.get(reverse("users:user-list")).json()["results"]

    assert {item["id"]: item["ratings_count"] for item in results}[user.pk] == 2


def test_user_list_as_basic_user_is_403(user_client):
    _assert_error(user_client.get(reverse("users:user-list")), HTTPStatus.FORBIDDEN)


def test_user_list_anonymous_is_401(api_client):
    response = api_client.get(reverse("users:user-list"))

    _assert_error(response, HTTPStatus.UNAUTHORIZED)
    assert response.has_header("WWW-Authenticate")


@pytest.mark.parametrize(("role", "expected"), [("admin", 2), ("basic", 3)])
def test_user_list_filters_by_role(admin_client, role, expected):
    UserFactory.create(role=Role.ADMIN)
    UserFactory.create_batch(3)

    response = admin_client.get(reverse("users:user-list"), {"role": role})

    assert response.json()["count"] == expected
    assert {item["role"] for item in response.json()["results"]} == {role}


def test_user_list_with_empty_role_is_unfiltered(admin_client, user):
    response = admin_client.get(reverse("users:user-list"), {"role": ""})

    assert response.json()["count"] == 2


@pytest.mark.parametrize("role", ["owner", "ADMIN", "\x00"])
def test_user_list_with_invalid_role_is_400_naming_role(admin_client, role):
    response = admin_client.get(reverse("users:user-list"), {"role": role})

    assert list(_assert_error(response, HTTPStatus.BAD_REQUEST)["fields"]) == ["role"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ZED", {"zed"}),  # username, case-insensitive
        ("fastmail", {"ann"}),  # email
        ("ann", {"ann", "zed"}),  # one's username, the other's email
        ("nobody", set()),
    ],
)
def test_user_list_search_matches_email_or_username(admin_client, search, expected):
    UserFactory.create(username="ann", email="ann@fastmail.com")
    UserFactory.create(username="zed", email="joann@example.com")

    response = admin_client.get(reverse("users:user-list"), {"search": search})

    assert response.status_code == HTTPStatus.OK
    assert {item["username"] for item in response.json()["results"]} == expected


def test_user_list_search_with_nul_character_is_400(admin_client):
    response = admin_client.get(reverse("users:user-list"), {"search": "a\x00b"})

    assert "search" in _assert_error(response, HTTPStatus.BAD_REQUEST)["fields"]


def test_user_list_query_count_does_not_grow_with_users(
    admin_client, django_assert_num_queries
):
    def count_queries_for(total: int) -> int:
        for user in UserFactory.create_batch(total - User.objects.count()):
            _rate(user, "3.0")
        # The caller, the count, the page: ratings counts are stored on the
        # rows, so the ratings table is not read at all.
        with django_assert_num_queries(3) as captured:
            response = admin_client.get(reverse("users:user-list"))
        assert len(response.json()["results"]) == total
        assert not [
            query["sql"]
            for query in captured.captured_queries
            if "ratings_rating" in query["sql"]
        ]
        return len(captured.captured_queries)

    assert count_queries_for(1) == count_queries_for(20)


def test_public_user_is_read_without_counting_ratings(
    user_client, other_user, django_assert_num_queries
):
    _rate(other_user, "4.0", "1.0")

    with django_assert_num_queries(2) as captured:  # the caller, the user
        response = user_client.get(reverse("users:user-detail", args=[other_user.pk]))

    assert response.json()["ratings_count"] == 2
    assert not [
        query["sql"]
        for query in captured.captured_queries
        if "ratings_rating" in query["sql"]
    ]


# --- create ------------------------------------------------------------------


def test_user_create_as_admin_with_admin_role_returns_private_user(admin_client):
    response = admin_client.post(
        reverse("users:user-list"),
        {
            "email": "curator@example.com",
            "username": "curator",
            "password": "curator-passphrase-9",
            "role": "admin",
        },
    )

    assert response.status_code == HTTPStatus.CREATED, response.json()
    body = response.json()
    assert set(body) == PRIVATE_FIELDS
    assert body["role"] == Role.ADMIN
    assert body["ratings_count"] == 0
    created = User.objects.get(email="curator@example.com")
    assert created.is_admin
    assert created.is_staff
    assert not created.is_superuser
    assert _sign_in("curator@example.com", "curator-passphrase-9").status_code == 200


def test_user_create_without_role_makes_basic_user(admin_client):
    response = admin_client.post(
        reverse("users:user-list"),
        {"email": "b@example.com", "username": "b", "password": "b-passphrase-77"},
    )

    assert response.json()["role"] == Role.BASIC


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"role": "owner"}, "role"),
        ({"password": "password"}, "password"),
        ({"email": "USER@example.com"}, "email"),
        ({"username": "taken"}, "username"),
    ],
)
def test_user_create_with_invalid_input_is_400_naming_field(
    admin_client, overrides, field
):
    UserFactory.create(email="user@example.com", username="taken")
    body = {
        "email": "new@example.com",
        "username": "new",
        "password": "new-pass-word-5",
    }
    body.update(overrides)

    response = admin_client.post(reverse("users:user-list"), body)

    assert list(_assert_error(response, HTTPStatus.BAD_REQUEST)["fields"]) == [field]


def test_user_create_as_basic_user_is_403_and_creates_nothing(user_client):
    response = user_client.post(
        reverse("users:user-list"),
        {"email": "x@example.com", "username": "x", "password": "x-passphrase-33"},
    )

    _assert_error(response, HTTPStatus.FORBIDDEN)
    assert not User.objects.filter(email="x@example.com").exists()


# --- detail ------------------------------------------------------------------


def test_user_detail_of_self_is_private(user_client, user):
    response = user_client.get(_detail(user))

    assert response.status_code == HTTPStatus.OK
    assert set(response.json()) == PRIVATE_FIELDS
    assert response.json()["email"] == user.email


def test_user_detail_as_admin_is_private(admin_client, user):
    response = admin_client.get(_detail(user))

    assert set(response.json()) == PRIVATE_FIELDS


def test_user_detail_of_another_user_is_public(user_client, other_user):
    _rate(other_user, "3.5")

    response = user_client.get(_detail(other_user))

    assert response.status_code == HTTPStatus.OK
    assert set(response.json()) == PUBLIC_FIELDS
    assert response.json()["ratings_count"] == 1
    assert response.json()["username"] == other_user.username


def test_user_detail_of_unknown_id_is_404(user_client, other_user):
    missing = User.objects.order_by("-pk").first().pk + 1  # type: ignore[union-attr]

    response = user_client.get(reverse("users:user-detail", kwargs={"pk": missing}))

    _assert_error(response, HTTPStatus.NOT_FOUND)


@pytest.mark.parametrize("path", ["abc", "1.5", "-1"])
def test_user_detail_with_non_integer_id_is_json_404(user_client, path):
    response = user_client.get(f"{reverse('users:user-list')}{path}/")

    _assert_error(response, HTTPStatus.NOT_FOUND)


def test_user_detail_of_deactivated_user_is_404_for_non_admins(
    user_client, admin_client, other_user
):
    User.objects.filter(pk=other_user.pk).update(is_active=False)

    _assert_error(user_client.get(_detail(other_user)), HTTPStatus.NOT_FOUND)
    response = admin_client.get(_detail(other_user))
    assert response.status_code == HTTPStatus.OK
    assert response.json()["is_active"] is False


def test_user_detail_anonymous_is_401(api_client, user):
    _assert_error(api_client.get(_detail(user)), HTTPStatus.UNAUTHORIZED)


# --- update ------------------------------------------------------------------


def test_user_update_self_changes_names(user_client, user):
    response = user_client.patch(
        _detail(user), {"username": "renamed", "first_name": "Ann", "last_name": "Lee"}
    )

    assert response.status_code == HTTPStatus.OK, response.json()
    assert set(response.json()) == PRIVATE_FIELDS
    user.refresh_from_db()
    assert (user.username, user.first_name, user.last_name) == ("renamed", "Ann", "Lee")


@pytest.mark.parametrize(
    "change",
    [
        {"role": "admin"},
        {"is_active": False},
        {"email": "new@example.com"},
        {"first_name": "Sneaky", "role": "admin"},
        {"last_name": "Sneaky", "email": "new@example.com"},
    ],
)
def test_user_update_self_privileged_field_is_403_and_applies_nothing(
    user_client, user, change
):
    before = User.objects.values().get(pk=user.pk)

    response = user_client.patch(_detail(user), change)

    _assert_error(response, HTTPStatus.FORBIDDEN)
    assert User.objects.values().get(pk=user.pk) == before


def test_user_update_self_privileged_field_through_me_is_403(user_client, user):
    response = user_client.patch(reverse("users:user-me"), {"role": "admin"})

    _assert_error(response, HTTPStatus.FORBIDDEN)
    user.refresh_from_db()
    assert user.role == Role.BASIC


def test_user_update_other_user_as_basic_is_403(user_client, other_user):
    before = User.objects.values().get(pk=other_user.pk)

    response = user_client.patch(_detail(other_user), {"first_name": "Mallory"})

    _assert_error(response, HTTPStatus.FORBIDDEN)
    assert User.objects.values().get(pk=other_user.pk) == before


def test_user_update_as_admin_changes_everything(admin_client, user):
    response = admin_client.patch(
        _detail(user),
        {
            "username": "renamed",
            "first_name": "F",
            "last_name": "L",
            "email": "Moved@Example.COM",
            "role": "admin",
            "is_active": False,
        },
    )

    assert response.status_code == HTTPStatus.OK, response.json()
    user.refresh_from_db()
    assert (user.username, user.first_name, user.last_name) == ("renamed", "F", "L")
    assert user.email == "Moved@example.com"
    assert user.role == Role.ADMIN
    assert user.is_active is False


def test_user_update_email_to_taken_one_in_other_case_is_400(admin_client, user):
    taken = UserFactory.create(email="taken@example.com")

    response = admin_client.patch(_detail(user), {"email": "TAKEN@example.com"})

    assert list(_assert_error(response, HTTPStatus.BAD_REQUEST)["fields"]) == ["email"]
    assert User.objects.filter(email__iexact="taken@example.com").get() == taken


def test_user_update_username_to_taken_one_is_400(user_client, user, other_user):
    response = user_client.patch(_detail(user), {"username": other_user.username})

    assert list(_assert_error(response, HTTPStatus.BAD_REQUEST)["fields"]) == [
        "username"
    ]


def test_user_update_email_case_of_own_address_is_allowed_for_admin(admin_client, user):
    response = admin_client.patch(_detail(user), {"email": user.email.upper()})

    assert response.status_code == HTTPStatus.OK, response.json()


def test_user_deactivated_by_admin_loses_access_and_refresh_at_once(admin_client, user):
    pair = _sign_in(user.email, DEFAULT_PASSWORD).json()
    own = APIClient()
    own.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")

    admin_client.patch(_detail(user), {"is_active": False})

    assert own.get(reverse("users:user-me")).status_code == HTTPStatus.UNAUTHORIZED
    refresh = APIClient().post(
        reverse("users:auth-refresh"), {"refresh": pair["refresh"]}
    )
    assert refresh.status_code == HTTPStatus.UNAUTHORIZED
    assert _sign_in(user.email, DEFAULT_PASSWORD).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [({"role": "basic"}, "role"), ({"is_active": False}, "is_active")],
)
def test_admin_cannot_demote_or_deactivate_self(
    admin_client, admin_user, change, field
):
    response = admin_client.patch(_detail(admin_user), change)

    assert list(_assert_error(response, HTTPStatus.BAD_REQUEST)["fields"]) == [field]
    admin_user.refresh_from_db()
    assert (admin_user.role, admin_user.is_active) == (Role.ADMIN, True)


def test_admin_cannot_demote_self_through_me(admin_client, admin_user):
    response = admin_client.patch(reverse("users:user-me"), {"role": "basic"})

    _assert_error(response, HTTPStatus.BAD_REQUEST)
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_admin_may_keep_own_role_and_change_own_names(admin_client, admin_user):
    response = admin_client.patch(
        _detail(admin_user), {"role": "admin", "is_active": True, "first_name": "Root"}
    )

    assert response.status_code == HTTPStatus.OK, response.json()
    admin_user.refresh_from_db()
    assert admin_user.first_name == "Root"


def test_another_admin_can_demote_and_deactivate_an_admin(
    client_for: ClientFor, admin_user
):
    second_admin = UserFactory.create(role=Role.ADMIN)

    response = client_for(second_admin).patch(
        _detail(admin_user), {"role": "basic", "is_active": False}
    )

    assert response.status_code == HTTPStatus.OK, response.json()
    admin_user.refresh_from_db()
    assert (admin_user.role, admin_user.is_active) == (Role.BASIC, False)


def _superuser(name: str = "root") -> User:
    return User.objects.create_superuser(
        email=f"{name}@example.com", username=name, password=DEFAULT_PASSWORD
    )


def test_superuser_cannot_be_demoted_even_by_another_superuser(client_for: ClientFor):
    root = _superuser()

    response = client_for(_superuser("second-root")).patch(
        _detail(root), {"role": "basic"}
    )

    assert list(_assert_error(response, HTTPStatus.BAD_REQUEST)["fields"]) == ["role"]
    root.refresh_from_db()
    assert root.role == Role.ADMIN


@pytest.mark.parametrize(
    "change",
    [
        {"role": "basic"},
        {"is_active": False},
        {"email": "taken-over@example.com"},
        {"username": "renamed"},
        {"first_name": "Mallory"},
    ],
    ids=["demote", "deactivate", "re-email", "rename", "names"],
)
def test_role_admin_cannot_change_a_superuser(admin_client, change):
    root = _superuser()
    before = User.objects.values().get(pk=root.pk)

    response = admin_client.patch(_detail(root), change)

    _assert_error(response, HTTPStatus.FORBIDDEN)
    assert User.objects.values().get(pk=root.pk) == before


def test_role_admin_cannot_delete_a_superuser(admin_client):
    root = _superuser()

    _assert_error(admin_client.delete(_detail(root)), HTTPStatus.FORBIDDEN)
    assert User.objects.filter(pk=root.pk).exists()


def test_superuser_can_change_and_delete_another_superuser(client_for: ClientFor):
    root, second = _superuser(), _superuser("second-root")
    client = client_for(second)

    changed = client.patch(_detail(root), {"is_active": False, "first_name": "Ex"})
    deleted = client.delete(_detail(root))

    assert changed.status_code == HTTPStatus.OK, changed.json()
    assert deleted.status_code == HTTPStatus.NO_CONTENT
    assert not User.objects.filter(pk=root.pk).exists()


def test_superuser_can_change_a_role_admin(client_for: ClientFor, admin_user):
    response = client_for(_superuser()).patch(_detail(admin_user), {"is_active": False})

    assert response.status_code == HTTPStatus.OK, response.json()


def test_user_update_with_invalid_role_is_400(admin_client, user):
    response = admin_client.patch(_detail(user), {"role": "owner"})

    assert list(_assert_error(response, HTTPStatus.BAD_REQUEST)["fields"]) == ["role"]


def test_user_update_with_put_is_405(admin_client, user):
    response = admin_client.put(_detail(user), {"username": "x"})

    _assert_error(response, HTTPStatus.METHOD_NOT_ALLOWED)


# --- delete ------------------------------------------------------------------


def test_user_delete_self_is_204_and_user_is_gone(user_client, user):
    response = user_client.delete(_detail(user))

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not User.objects.filter(pk=user.pk).exists()


def test_user_delete_by_admin_is_204_and_user_is_gone(admin_client, user):
    response = admin_client.delete(_detail(user))

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not User.objects.filter(pk=user.pk).exists()


def test_user_delete_other_user_as_basic_is_403(user_client, other_user):
    _assert_error(user_client.delete(_detail(other_user)), HTTPStatus.FORBIDDEN)
    assert User.objects.filter(pk=other_user.pk).exists()


def test_admin_cannot_delete_self(admin_client, admin_user):
    _assert_error(admin_client.delete(_detail(admin_user)), HTTPStatus.BAD_REQUEST)
    assert User.objects.filter(pk=admin_user.pk).exists()


def test_another_admin_can_delete_an_admin(client_for: ClientFor, admin_user):
    second_admin = UserFactory.create(role=Role.ADMIN)

    response = client_for(second_admin).delete(_detail(admin_user))

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not User.objects.filter(pk=admin_user.pk).exists()


def test_user_delete_removes_ratings_and_updates_movie_aggregates(
    admin_client, user, other_user
):
    movie = Movie.objects.create(title="Heat", year=1995)
    rating_create(user=user, movie=movie, score=Decimal("1.0"))
    rating_create(user=other_user, movie=movie, score=Decimal("5.0"))

    assert admin_client.delete(_detail(user)).status_code == HTTPStatus.NO_CONTENT

    movie.refresh_from_db()
    assert movie.ratings.count() == 1
    assert movie.rating_count == 1
    assert movie.average_rating == 5.0
    assert movie.rating_distribution["1.0"] == 0


def test_user_delete_twice_is_404(admin_client, user):
    admin_client.delete(_detail(user))

    _assert_error(admin_client.delete(_detail(user)), HTTPStatus.NOT_FOUND)


# --- me ----------------------------------------------------------------------


def test_me_returns_private_user_with_average_score(user_client, user):
    _rate(user, "4.0", "2.5", "5.0")

    response = user_client.get(reverse("users:user-me"))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert set(body) == PRIVATE_FIELDS | {"average_score"}
    assert body["id"] == user.pk
    assert body["ratings_count"] == 3
    assert body["average_score"] == pytest.approx(3.8333, abs=1e-3)


def test_me_without_ratings_has_null_average_score(user_client):
    body = user_client.get(reverse("users:user-me")).json()

    assert body["average_score"] is None
    assert body["ratings_count"] == 0


def test_me_patch_changes_names_and_returns_me(user_client, user):
    _rate(user, "3.0")

    response = user_client.patch(reverse("users:user-me"), {"first_name": "Zoe"})

    assert response.status_code == HTTPStatus.OK, response.json()
    assert response.json()["first_name"] == "Zoe"
    assert response.json()["average_score"] == 3.0
    user.refresh_from_db()
    assert user.first_name == "Zoe"


def test_me_anonymous_is_401(api_client):
    _assert_error(api_client.get(reverse("users:user-me")), HTTPStatus.UNAUTHORIZED)


# --- password ----------------------------------------------------------------


def _change_password(client: APIClient, old: str, new: str) -> Any:
    return client.post(
        reverse("users:user-password"), {"old_password": old, "new_password": new}
    )


def test_password_change_with_wrong_old_password_is_400_naming_it(user_client, user):
    response = _change_password(user_client, "not-my-password", NEW_PASSWORD)

    body = _assert_error(response, HTTPStatus.BAD_REQUEST)
    assert list(body["fields"]) == ["old_password"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize("weak", ["short", "password", "1234567890123", "user0-user"])
def test_password_change_with_weak_new_password_is_400_naming_it(
    user_client, user, weak
):
    response = _change_password(
        user_client, DEFAULT_PASSWORD, weak.replace("user0", user.username)
    )

    body = _assert_error(response, HTTPStatus.BAD_REQUEST)
    assert list(body["fields"]) == ["new_password"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize("missing", ["old_password", "new_password"])
def test_password_change_without_field_is_400_naming_it(user_client, missing):
    body = {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    del body[missing]

    response = user_client.post(reverse("users:user-password"), body)

    assert list(_assert_error(response, HTTPStatus.BAD_REQUEST)["fields"]) == [missing]


def test_password_change_switches_login_and_revokes_refresh_tokens(user):
    first = _sign_in(user.email, DEFAULT_PASSWORD).json()
    second = _sign_in(user.email, DEFAULT_PASSWORD).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {first['access']}")

    response = _change_password(client, DEFAULT_PASSWORD, NEW_PASSWORD)

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert _sign_in(user.email, NEW_PASSWORD).status_code == HTTPStatus.OK
    assert _sign_in(user.email, DEFAULT_PASSWORD).status_code == 401
    for pair in (first, second):
        refreshed = APIClient().post(
            reverse("users:auth-refresh"), {"refresh": pair["refresh"]}
        )
        assert refreshed.status_code == HTTPStatus.UNAUTHORIZED


def test_password_change_anonymous_is_401(api_client):
    response = _change_password(api_client, DEFAULT_PASSWORD, NEW_PASSWORD)

    _assert_error(response, HTTPStatus.UNAUTHORIZED)
