"""What a username is: ASCII, unique whatever its case, and said so by the schema.

JSON Schema patterns are ECMA-262 regular expressions; the schema's pattern
is checked here with an ECMA-262 engine (regress), with and without the
``u`` flag that some validators add, against the server's own validator.
"""

from http import HTTPStatus
from typing import Any

import pytest
import regress
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from users.models import User, UsernameValidator
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ACCEPTED = ["alice", "Alice.Smith", "a", "ann+films@home", "x-_.@+9", "A" * 150]
REFUSED = {
    "accented": "çeÚø",
    "cyrillic a": "\u0430lice",
    "greek omicron": "b\u03bfb",
    "full-width": "\uff41\uff4c\uff49\uff43\uff45",
    "kelvin sign": "\u212aelvin",
    "dotted capital I": "\u0130stanbul",
    "sharp s": "stra\u00dfe",
    "zero-width space": "ali\u200bce",
    "arabic digit": "user\u0661",
    "space": "ali ce",
    "trailing newline": "alice\n",
    "empty": "",
    "emoji": "ali\U0001f3acce",
}


def _schema() -> dict[str, Any]:
    response = APIClient().get(reverse("schema"), {"format": "json"})
    assert response.status_code == HTTPStatus.OK
    return dict(response.json())


def _username_patterns(schema: dict[str, Any]) -> set[str]:
    """Return the pattern of every ``username`` the schema describes."""
    patterns = set()
    for component in schema["components"]["schemas"].values():
        username = component.get("properties", {}).get("username")
        if username is not None and not username.get("readOnly"):
            patterns.add(username["pattern"])
    return patterns


def _server_accepts(name: str) -> bool:
    try:
        UsernameValidator()(name)
    except ValidationError:
        return False
    return True


def _ecma_accepts(pattern: str, name: str, flags: str) -> bool:
    return regress.Regex(pattern, flags=flags).find(name) is not None


@pytest.fixture(scope="module")
def pattern(django_db_blocker: Any) -> str:
    with django_db_blocker.unblock():
        patterns = _username_patterns(_schema())
    assert len(patterns) == 1, patterns
    return patterns.pop()


@pytest.mark.parametrize("flags", ["", "u"])
@pytest.mark.parametrize("name", [*ACCEPTED, *REFUSED.values()])
def test_the_schema_pattern_and_the_validator_agree(pattern, name, flags):
    assert _ecma_accepts(pattern, name, flags) == _server_accepts(name)
    assert _server_accepts(name) == (name in ACCEPTED)


@pytest.mark.parametrize("name", REFUSED.values(), ids=REFUSED.keys())
def test_signup_with_a_non_ascii_or_look_alike_username_is_400(api_client, name):
    response = api_client.post(
        reverse("users:auth-signup"),
        {"email": "ann@example.com", "username": name, "password": "a-long-pass-1"},
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.json()
    assert list(response.json()["fields"]) == ["username"]
    assert not User.objects.exists()


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_usernames_come_back_matching_the_schema(api_client, pattern, name):
    response = api_client.post(
        reverse("users:auth-signup"),
        {"email": "ann@example.com", "username": name, "password": "a-long-pass-1"},
    )

    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert _ecma_accepts(pattern, response.json()["user"]["username"], "u")


@pytest.mark.parametrize("taken", ["ALICE", "Alice", "aLiCe"])
def test_signup_with_a_username_taken_in_another_case_is_400(api_client, taken):
    UserFactory.create(username="alice")

    response = api_client.post(
        reverse("users:auth-signup"),
        {"email": "ann@example.com", "username": taken, "password": "a-long-pass-1"},
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["fields"] == {
        "username": ["A user with that username already exists."]
    }


def test_renaming_to_a_username_taken_in_another_case_is_400(
    client_for: Any, user, other_user
):
    response = client_for(user).patch(
        reverse("users:user-me"), {"username": other_user.username.upper()}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["username"]


def test_changing_the_case_of_ones_own_username_is_allowed(client_for: Any, user):
    response = client_for(user).patch(
        reverse("users:user-me"), {"username": user.username.upper()}
    )

    assert response.status_code == HTTPStatus.OK, response.json()


def test_admin_creating_a_username_taken_in_another_case_is_400(admin_client):
    UserFactory.create(username="alice")

    response = admin_client.post(
        reverse("users:user-list"),
        {"email": "a2@example.com", "username": "ALICE", "password": "a-long-pass-1"},
    )

    assert list(response.json()["fields"]) == ["username"]


def test_the_database_refuses_a_username_differing_by_case_alone():
    UserFactory.create(username="alice")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="a2@example.com", username="ALICE")


def test_admin_form_folds_full_width_letters_and_refuses_the_look_alike():
    root = User.objects.create_superuser(
        email="root@example.com", username="root", password=DEFAULT_PASSWORD
    )
    client = Client()
    client.force_login(root)
    UserFactory.create(username="alice")

    response = client.post(
        reverse("admin:users_user_add"),
        {
            "email": "new@example.com",
            "username": "\uff21\uff4c\uff49\uff43\uff45",  # full-width "Alice"
            "role": "basic",
            "usable_password": "true",
            "password1": "a-long-passphrase-7",
            "password2": "a-long-passphrase-7",
        },
    )

    assert response.status_code == HTTPStatus.OK  # the form again, with its error
    assert "already exists" in response.context["adminform"].form.errors["username"][0]
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.postgres
def test_migration_renames_usernames_that_differ_by_case_alone():
    """Existing accounts that collide case-insensitively get an id suffix."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("users.migrations.0003_username_ascii_case_insensitive")
    constraint = next(
        c for c in User._meta.constraints if c.name == "users_user_username_ci_unique"
    )
    with connection.schema_editor(atomic=False) as editor:
        editor.remove_constraint(User, constraint)
    first = UserFactory.create(username="alice")
    second = UserFactory.create(username="ALICE")
    third = UserFactory.create(username="Alice")

    migration.rename_case_duplicates(apps, None)

    names = [User.objects.get(pk=user.pk).username for user in (first, second, third)]
    assert names == ["alice", f"ALICE-{second.pk}", f"Alice-{third.pk}"]
    with connection.schema_editor(atomic=False) as editor:
        editor.add_constraint(User, constraint)
