"""Signing in to the Django admin, and the user pages in it."""

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from movies.models import Movie
from ratings.services import rating_create
from users.models import Role, User
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _admin_login(client: Client, email: str, password: str = DEFAULT_PASSWORD) -> None:
    client.post(
        reverse("admin:login"),
        {"username": email, "password": password, "next": reverse("admin:index")},
    )


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser(
        email="root@example.com", username="root", password=DEFAULT_PASSWORD
    )


@pytest.fixture
def root_client(superuser: User) -> Client:
    client = Client()
    _admin_login(client, superuser.email)
    return client


def test_admin_role_user_signs_in_to_admin_without_being_superuser(admin_user):
    client = Client()

    response = client.post(
        reverse("admin:login"),
        {
            "username": admin_user.email.upper(),
            "password": DEFAULT_PASSWORD,
            "next": reverse("admin:index"),
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == HTTPStatus.OK
    assert not admin_user.is_superuser


def test_admin_role_user_can_open_catalogue_but_not_accounts(admin_user):
    client = Client()
    _admin_login(client, admin_user.email)

    changelist = client.get(reverse("admin:movies_movie_changelist"))
    users = client.get(reverse("admin:users_user_changelist"))

    assert changelist.status_code == HTTPStatus.OK
    assert users.status_code == HTTPStatus.FORBIDDEN


def test_basic_user_cannot_sign_in_to_admin(user):
    client = Client()

    response = client.post(
        reverse("admin:login"),
        {"username": user.email, "password": DEFAULT_PASSWORD},
    )

    assert response.status_code == HTTPStatus.OK  # the form again, with an error
    assert response.context["form"].errors
    index = client.get(reverse("admin:index"))
    assert index.status_code == HTTPStatus.FOUND
    assert reverse("admin:login") in index["Location"]


def test_admin_user_demoted_to_basic_loses_admin_at_once(admin_user):
    client = Client()
    _admin_login(client, admin_user.email)
    User.objects.filter(pk=admin_user.pk).update(role=Role.BASIC)

    response = client.get(reverse("admin:index"))

    assert response.status_code == HTTPStatus.FOUND


@pytest.mark.parametrize(
    "page",
    ["admin:users_user_changelist", "admin:users_user_add"],
)
def test_superuser_opens_user_admin_pages(root_client, page):
    UserFactory.create_batch(3)

    assert root_client.get(reverse(page)).status_code == HTTPStatus.OK


def test_superuser_opens_user_change_and_password_pages(root_client, user):
    change = root_client.get(reverse("admin:users_user_change", args=[user.pk]))
    password = root_client.get(
        reverse("admin:auth_user_password_change", args=[user.pk])
    )

    assert change.status_code == HTTPStatus.OK
    assert password.status_code == HTTPStatus.OK


def test_user_changelist_search_and_filters(root_client):
    UserFactory.create(email="findme@example.com", role=Role.ADMIN)
    url = reverse("admin:users_user_changelist")

    found = root_client.get(url, {"q": "findme"})
    by_role = root_client.get(url, {"role__exact": "admin"})

    assert found.context["cl"].result_count == 1
    assert by_role.context["cl"].result_count == 2  # root and findme


def test_superuser_adds_an_admin_role_user_through_admin(root_client):
    response = root_client.post(
        reverse("admin:users_user_add"),
        {
            "email": "curator@example.com",
            "username": "curator",
            "role": "admin",
            "password1": "curator-passphrase-9",
            "password2": "curator-passphrase-9",
            "usable_password": "true",
        },
    )

    assert response.status_code == HTTPStatus.FOUND, response.context[
        "adminform"
    ].form.errors
    curator = User.objects.get(email="curator@example.com")
    assert curator.role == Role.ADMIN
    assert curator.check_password("curator-passphrase-9")


def test_admin_add_user_with_email_taken_in_other_case_shows_error(root_client, user):
    response = root_client.post(
        reverse("admin:users_user_add"),
        {
            "email": user.email.upper(),
            "username": "someone",
            "role": "basic",
            "password1": "someone-passphrase-9",
            "password2": "someone-passphrase-9",
            "usable_password": "true",
        },
    )

    assert response.status_code == HTTPStatus.OK
    assert response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact=user.email).count() == 1


def test_superuser_cannot_be_saved_with_basic_role_through_admin(
    root_client, superuser
):
    response = root_client.post(
        reverse("admin:users_user_change", args=[superuser.pk]),
        {
            "email": superuser.email,
            "username": superuser.username,
            "first_name": "",
            "last_name": "",
            "role": "basic",
            "is_active": "on",
            "is_superuser": "on",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    assert response.status_code == HTTPStatus.OK
    assert response.context["adminform"].form.errors
    superuser.refresh_from_db()
    assert superuser.role == Role.ADMIN


def _api_pair(user: User) -> dict[str, str]:
    response = APIClient().post(
        reverse("users:auth-token"), {"email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == HTTPStatus.OK, response.json()
    return dict(response.json())


def _api_me(access: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(reverse("users:user-me")).status_code


def _change_form(user: User, **overrides: object) -> dict[str, object]:
    form: dict[str, object] = {
        "email": user.email,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def test_deactivating_and_reactivating_through_admin_revives_no_token(
    root_client, user
):
    pair = _api_pair(user)
    change = reverse("admin:users_user_change", args=[user.pk])

    deactivated = root_client.post(change, _change_form(user, is_active=None))
    reactivated = root_client.post(change, _change_form(user))

    assert deactivated.status_code == reactivated.status_code == HTTPStatus.FOUND
    user.refresh_from_db()
    assert user.is_active
    assert _api_me(pair["access"]) == HTTPStatus.UNAUTHORIZED
    refreshed = APIClient().post(
        reverse("users:auth-refresh"), {"refresh": pair["refresh"]}
    )
    assert refreshed.status_code == HTTPStatus.UNAUTHORIZED


def test_password_set_through_admin_ends_the_users_access_tokens(root_client, user):
    pair = _api_pair(user)
    new_password = "an-admin-chosen-passphrase-9"

    response = root_client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {
            "password1": new_password,
            "password2": new_password,
            "usable_password": "true",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    assert _api_me(pair["access"]) == HTTPStatus.UNAUTHORIZED


def test_user_admin_shows_the_ratings_count_read_only(root_client, user):
    for title in ("One", "Two"):
        movie = Movie.objects.create(title=title, year=2000)
        rating_create(user=user, movie=movie, score=Decimal("3.0"))
    change = reverse("admin:users_user_change", args=[user.pk])

    changelist = root_client.get(reverse("admin:users_user_changelist"))
    form = root_client.get(change)
    saved = root_client.post(change, _change_form(user, ratings_count="99"))

    assert '<td class="field-ratings_count">2</td>' in changelist.content.decode()
    assert "ratings_count" not in form.context["adminform"].form.fields
    assert saved.status_code == HTTPStatus.FOUND
    assert User.objects.get(pk=user.pk).ratings_count == 2
