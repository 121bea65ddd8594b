"""The users services: the rules hold whoever calls them."""

import threading
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import RefreshToken

from users import services
from users.models import Role, User
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "a-long-passphrase-1"


def _error_fields(exc: ValidationError) -> set[str]:
    return set(exc.message_dict)


# --- user_create -------------------------------------------------------------


def test_user_create_hashes_password_and_defaults_to_basic():
    user = services.user_create(
        email="Ann@Example.COM", username="ann", password=STRONG
    )

    assert user.pk is not None
    assert user.role == Role.BASIC
    assert user.email == "Ann@example.com"  # the domain part is normalised
    assert user.check_password(STRONG)
    assert user.password != STRONG


def test_user_create_with_email_taken_in_other_case_names_email():
    # No serializer in front: the database constraint is what refuses it.
    services.user_create(email="ann@example.com", username="ann", password=STRONG)

    with pytest.raises(ValidationError) as caught:
        services.user_create(email="ANN@example.com", username="ann2", password=STRONG)

    assert _error_fields(caught.value) == {"email"}
    assert User.objects.count() == 1


def test_user_create_with_username_taken_names_username():
    services.user_create(email="ann@example.com", username="ann", password=STRONG)

    with pytest.raises(ValidationError) as caught:
        services.user_create(email="bob@example.com", username="ann", password=STRONG)

    assert _error_fields(caught.value) == {"username"}


def test_user_create_with_weak_password_creates_nothing():
    with pytest.raises(ValidationError):
        services.user_create(email="ann@example.com", username="ann", password="ann")

    assert not User.objects.exists()


def test_user_create_with_admin_role():
    user = services.user_create(
        email="a@example.com", username="a", password=STRONG, role=Role.ADMIN
    )

    assert user.is_admin
    assert not user.is_superuser


# --- user_update -------------------------------------------------------------


def test_user_update_self_names_are_saved(user):
    services.user_update(actor=user, user=user, first_name="Ann", username="ann")

    user.refresh_from_db()
    assert (user.first_name, user.username) == ("Ann", "ann")


@pytest.mark.parametrize(
    "change", [{"role": Role.ADMIN}, {"is_active": False}, {"email": "x@example.com"}]
)
def test_user_update_self_privileged_change_is_denied_and_unsaved(user, change):
    before = User.objects.values().get(pk=user.pk)

    with pytest.raises(PermissionDenied):
        services.user_update(actor=user, user=user, first_name="X", **change)

    assert User.objects.values().get(pk=user.pk) == before


def test_user_update_of_another_user_by_basic_user_is_denied(user, other_user):
    with pytest.raises(PermissionDenied):
        services.user_update(actor=user, user=other_user, first_name="X")


@pytest.mark.parametrize(
    ("change", "field"),
    [({"role": Role.BASIC}, "role"), ({"is_active": False}, "is_active")],
)
def test_admin_update_of_self_cannot_demote_or_deactivate(admin_user, change, field):
    with pytest.raises(ValidationError) as caught:
        services.user_update(actor=admin_user, user=admin_user, **change)

    assert _error_fields(caught.value) == {field}
    admin_user.refresh_from_db()
    assert admin_user.is_admin
    assert admin_user.is_active


def test_superuser_role_cannot_be_changed_even_by_another_superuser():
    root, second = (
        User.objects.create_superuser(
            email=f"{name}@example.com", username=name, password=STRONG
        )
        for name in ("root", "second-root")
    )

    with pytest.raises(ValidationError) as caught:
        services.user_update(actor=second, user=root, role=Role.BASIC)

    assert _error_fields(caught.value) == {"role"}


@pytest.mark.parametrize(
    "change", [{"role": Role.BASIC}, {"is_active": False}, {"last_name": "X"}]
)
def test_role_admin_cannot_change_or_delete_a_superuser(admin_user, change):
    root = User.objects.create_superuser(
        email="root@example.com", username="root", password=STRONG
    )

    with pytest.raises(PermissionDenied):
        services.user_update(actor=admin_user, user=root, **change)
    with pytest.raises(PermissionDenied):
        services.user_delete(actor=admin_user, user=root)

    root.refresh_from_db()
    assert (root.role, root.is_active, root.last_name) == (Role.ADMIN, True, "")


def test_admin_update_normalises_email_and_rejects_duplicates(admin_user, user):
    UserFactory.create(email="taken@example.com")

    services.user_update(actor=admin_user, user=user, email="Moved@EXAMPLE.com")
    user.refresh_from_db()
    assert user.email == "Moved@example.com"

    with pytest.raises(ValidationError) as caught:
        services.user_update(actor=admin_user, user=user, email="TAKEN@example.com")
    assert _error_fields(caught.value) == {"email"}


def test_deactivating_a_user_revokes_their_refresh_tokens(admin_user, user):
    refresh = str(RefreshToken.for_user(user))

    services.user_update(actor=admin_user, user=user, is_active=False)
    User.objects.filter(pk=user.pk).update(is_active=True)

    with pytest.raises(InvalidToken):
        services.token_refresh(refresh=refresh)


# --- user_delete -------------------------------------------------------------


def test_user_delete_self(user):
    services.user_delete(actor=user, user=user)

    assert not User.objects.filter(pk=user.pk).exists()


def test_user_delete_by_admin(admin_user, user):
    services.user_delete(actor=admin_user, user=user)

    assert not User.objects.filter(pk=user.pk).exists()


def test_user_delete_of_another_user_by_basic_user_is_denied(user, other_user):
    with pytest.raises(PermissionDenied):
        services.user_delete(actor=user, user=other_user)

    assert User.objects.filter(pk=other_user.pk).exists()


def test_admin_cannot_delete_self_but_another_admin_can(admin_user):
    with pytest.raises(ValidationError):
        services.user_delete(actor=admin_user, user=admin_user)

    services.user_delete(actor=UserFactory.create(role=Role.ADMIN), user=admin_user)
    assert not User.objects.filter(pk=admin_user.pk).exists()


# --- passwords and tokens ----------------------------------------------------


def test_user_change_password_wrong_old_names_old_password(user):
    with pytest.raises(ValidationError) as caught:
        services.user_change_password(
            user=user, old_password="wrong", new_password=STRONG
        )

    assert _error_fields(caught.value) == {"old_password"}


def test_user_change_password_weak_new_names_new_password(user):
    with pytest.raises(ValidationError) as caught:
        services.user_change_password(
            user=user, old_password=DEFAULT_PASSWORD, new_password="12345678"
        )

    assert _error_fields(caught.value) == {"new_password"}
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_user_change_password_revokes_every_refresh_token(user):
    tokens = [str(RefreshToken.for_user(user)) for _ in range(3)]

    services.user_change_password(
        user=user, old_password=DEFAULT_PASSWORD, new_password=STRONG
    )

    user.refresh_from_db()
    assert user.check_password(STRONG)
    for token in tokens:
        with pytest.raises(InvalidToken):
            services.token_refresh(refresh=token)


def test_user_revoke_refresh_tokens_spares_other_users(user, other_user):
    mine = str(RefreshToken.for_user(user))
    theirs = str(RefreshToken.for_user(other_user))

    services.user_revoke_refresh_tokens(user=user)
    services.user_revoke_refresh_tokens(user=user)  # idempotent

    with pytest.raises(InvalidToken):
        services.token_refresh(refresh=mine)
    assert set(services.token_refresh(refresh=theirs)) == {"access", "refresh"}


def test_token_refresh_spends_the_token_once(user):
    refresh = str(RefreshToken.for_user(user))

    pair = services.token_refresh(refresh=refresh)

    assert RefreshToken(pair["refresh"])["user_id"] == str(user.pk)  # type: ignore[arg-type]
    with pytest.raises(InvalidToken):
        services.token_refresh(refresh=refresh)


def test_token_refresh_of_deleted_user_is_invalid_token(user):
    refresh = str(RefreshToken.for_user(user))
    user.delete()

    with pytest.raises(InvalidToken):
        services.token_refresh(refresh=refresh)


@pytest.mark.parametrize(
    "lose_account",
    [
        lambda user: user.delete(),
        lambda user: User.objects.filter(pk=user.pk).update(is_active=False),
    ],
    ids=["deleted", "deactivated"],
)
def test_token_refresh_when_user_goes_away_while_rotating_is_invalid_token(
    user, monkeypatch, lose_account
):
    consume = services._consume_refresh_token

    def consume_then_lose_account(raw: str, **kwargs: Any) -> RefreshToken:
        token = consume(raw, **kwargs)
        lose_account(user)  # a concurrent request, between check and issue
        return token

    monkeypatch.setattr(services, "_consume_refresh_token", consume_then_lose_account)

    with pytest.raises(InvalidToken):
        services.token_refresh(refresh=str(RefreshToken.for_user(user)))


def test_token_refresh_of_token_never_issued_by_server_is_invalid(user):
    # Validly signed but unknown to the outstanding-token table.
    token = RefreshToken()
    token["user_id"] = str(user.pk)

    with pytest.raises(InvalidToken):
        services.token_refresh(refresh=str(token))


def test_token_revoke_of_another_users_token_is_invalid_and_spares_it(user, other_user):
    theirs = str(RefreshToken.for_user(other_user))

    with pytest.raises(InvalidToken):
        services.token_revoke(user=user, refresh=theirs)

    assert services.token_refresh(refresh=theirs)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_succeed_exactly_once():
    user = UserFactory.create()
    refresh = str(RefreshToken.for_user(user))
    attempts = 8
    barrier = threading.Barrier(attempts)
    outcomes: list[Any] = []

    def attempt() -> None:
        try:
            barrier.wait()
            outcomes.append(services.token_refresh(refresh=refresh))
        except InvalidToken as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == attempts
    assert sum(isinstance(outcome, dict) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, InvalidToken) for outcome in outcomes) == 7
