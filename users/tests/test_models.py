"""The User model: roles, superusers and what the database refuses."""

import pytest
from axes.exceptions import AxesBackendRequestParameterRequired
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from users.models import Role, User
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_create_superuser_has_admin_role_and_staff_access():
    root = User.objects.create_superuser(
        email="root@example.com", username="root", password="x-passphrase-10"
    )

    assert root.role == Role.ADMIN
    assert root.is_superuser
    assert root.is_admin
    assert root.is_staff
    assert root.check_password("x-passphrase-10")


def test_create_superuser_ignores_a_basic_role_argument():
    root = User.objects.create_superuser(
        email="root@example.com", username="root", password="x", role=Role.BASIC
    )

    root.refresh_from_db()
    assert root.role == Role.ADMIN


def test_createsuperuser_command_makes_an_admin(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "root-passphrase-11")

    call_command(
        "createsuperuser",
        interactive=False,
        email="root@example.com",
        username="root",
        verbosity=0,
    )

    root = User.objects.get(email="root@example.com")
    assert (root.role, root.is_superuser, root.is_staff) == (Role.ADMIN, True, True)
    assert root.check_password("root-passphrase-11")


def test_create_user_is_basic_and_not_staff():
    user = User.objects.create_user(
        email="Ann@EXAMPLE.com", username="ann", password="x"
    )

    assert user.role == Role.BASIC
    assert not user.is_superuser
    assert not user.is_staff
    assert not user.is_admin
    assert user.email == "Ann@example.com"
    assert str(user) == "Ann@example.com"


def test_create_user_without_email_is_refused():
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user(email="", username="ann", password="x")


@pytest.mark.parametrize(("role", "staff"), [(Role.BASIC, False), (Role.ADMIN, True)])
def test_staff_status_follows_role(role, staff):
    assert UserFactory.create(role=role).is_staff is staff


def test_database_refuses_superuser_with_basic_role():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(
            email="root@example.com",
            username="root",
            is_superuser=True,
            role=Role.BASIC,
        )


def test_database_refuses_demoting_an_existing_superuser():
    root = User.objects.create_superuser(
        email="root@example.com", username="root", password="x"
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=root.pk).update(role=Role.BASIC)


def test_database_refuses_unknown_role():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="a@example.com", username="a", role="owner")


def test_database_refuses_email_differing_only_in_case():
    UserFactory.create(email="ann@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="ANN@example.com", username="other")


def test_full_clean_reports_superuser_role_and_email_constraints():
    UserFactory.create(email="ann@example.com")
    candidate = User(
        email="Ann@example.com",
        username="root",
        is_superuser=True,
        role=Role.BASIC,
        password="x",
    )

    with pytest.raises(ValidationError) as caught:
        candidate.full_clean()

    messages = " ".join(caught.value.messages)
    assert "A superuser always has the admin role." in messages
    assert "A user with this email already exists." in messages


def test_natural_key_lookup_is_case_insensitive():
    user = UserFactory.create(email="Ann@Example.com")

    assert User.objects.get_by_natural_key("ann@example.COM") == user


def test_authenticate_with_email_in_any_case():
    user = UserFactory.create(email="Ann@Example.com")
    request = RequestFactory().post("/")

    assert (
        authenticate(request, email="ANN@example.com", password=DEFAULT_PASSWORD)
        == user
    )
    assert authenticate(request, email="ann@example.com", password="wrong") is None


def test_authenticate_without_a_request_is_refused_as_it_cannot_be_counted():
    # Every sign-in is counted per client by the lock-out: no client, no sign-in.
    UserFactory.create(email="ann@example.com")

    with pytest.raises(AxesBackendRequestParameterRequired):
        authenticate(email="ann@example.com", password=DEFAULT_PASSWORD)


@pytest.mark.parametrize(
    ("role", "active", "perm", "expected"),
    [
        (Role.ADMIN, True, "movies.add_movie", True),
        (Role.ADMIN, True, "movies.change_genre", True),
        (Role.ADMIN, True, "ratings.delete_rating", True),
        (Role.ADMIN, True, "users.change_user", False),
        (Role.ADMIN, True, "auth.change_group", False),
        (Role.ADMIN, False, "movies.add_movie", False),
        (Role.BASIC, True, "movies.add_movie", False),
        (Role.BASIC, True, "ratings.delete_rating", False),
    ],
)
def test_admin_role_curates_catalogue_but_not_accounts(role, active, perm, expected):
    account = UserFactory.create(role=role, is_active=active)

    assert account.has_perm(perm) is expected
    assert account.has_module_perms(perm.partition(".")[0]) is expected


def test_superuser_has_every_permission():
    root = User.objects.create_superuser(
        email="root@example.com", username="root", password="x"
    )

    assert root.has_perm("users.change_user")
    assert root.has_perm("auth.change_group")
