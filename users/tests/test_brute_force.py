"""Sign-in lock-out: the attacker's client is slowed, the owner is not.

The API's token endpoint and the Django admin's login share one count
(django-axes through ``authenticate()``): failures per (account, client) and
per client, each with its own limit.
"""

from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from users.models import User
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
PER_ACCOUNT = 3
PER_CLIENT = 5
LOCKOUT_SECONDS = 900


@pytest.fixture(autouse=True)
def _limits(settings: Settings) -> None:
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = PER_ACCOUNT
    settings.LOGIN_MAX_FAILURES_PER_CLIENT = PER_CLIENT
    settings.LOGIN_LOCKOUT_SECONDS = LOCKOUT_SECONDS


def _sign_in(email: str, password: str, addr: str) -> Any:
    return APIClient().post(
        reverse("users:auth-token"),
        {"email": email, "password": password},
        REMOTE_ADDR=addr,
    )


def _fail(email: str, addr: str = ATTACKER, times: int = PER_ACCOUNT) -> None:
    for _ in range(times):
        response = _sign_in(email, "not-the-password", addr)
        assert response.status_code in {HTTPStatus.UNAUTHORIZED, 429}


def _assert_locked_out(response: Any) -> int:
    """Assert the API's 429 in the error shape; return its Retry-After."""
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS, response.json()
    body = response.json()
    retry_after = int(response["Retry-After"])
    assert body == {
        "detail": "Too many failed sign-ins. Try again later. "
        f"Expected available in {retry_after} seconds.",
        "code": "throttled",
        "fields": {},
    }
    assert 1 <= retry_after <= LOCKOUT_SECONDS
    return retry_after


def _age_failures(seconds: int) -> None:
    """Move every recorded failure ``seconds`` into the past."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(seconds=seconds)
        attempt.save(update_fields=["attempt_time"])


# --- the API -------------------------------------------------------------------


def test_owner_signs_in_from_their_client_while_an_attacker_is_locked_out(user):
    _fail(user.email)

    attacker = _sign_in(user.email, DEFAULT_PASSWORD, ATTACKER)
    owner = _sign_in(user.email, DEFAULT_PASSWORD, OWNER)

    _assert_locked_out(attacker)
    assert owner.status_code == HTTPStatus.OK, owner.json()


def test_the_failure_that_reaches_the_limit_is_already_refused(user):
    _fail(user.email, times=PER_ACCOUNT - 1)

    response = _sign_in(user.email, "not-the-password", ATTACKER)

    _assert_locked_out(response)


def test_locked_client_is_refused_with_the_right_password_in_any_case(user):
    _fail(user.email)

    _assert_locked_out(_sign_in(user.email.upper(), DEFAULT_PASSWORD, ATTACKER))


def test_client_locked_out_of_one_account_may_still_sign_in_to_another(
    user, other_user
):
    _fail(user.email)

    response = _sign_in(other_user.email, DEFAULT_PASSWORD, ATTACKER)

    assert response.status_code == HTTPStatus.OK


def test_client_that_fails_for_many_accounts_is_locked_out_of_every_account():
    victims = UserFactory.create_batch(PER_CLIENT)
    for victim in victims:
        _fail(victim.email, times=1)
    bystander = UserFactory.create()

    _assert_locked_out(_sign_in(bystander.email, DEFAULT_PASSWORD, ATTACKER))
    for victim in victims:
        assert _sign_in(victim.email, DEFAULT_PASSWORD, OWNER).status_code == 200


def test_unknown_accounts_count_against_the_client_too(user):
    for index in range(PER_CLIENT):
        _fail(f"nobody{index}@example.com", times=1)

    _assert_locked_out(_sign_in(user.email, DEFAULT_PASSWORD, ATTACKER))


def test_retry_after_counts_down_and_refused_sign_ins_do_not_prolong_it(user):
    _fail(user.email)
    first = _assert_locked_out(_sign_in(user.email, DEFAULT_PASSWORD, ATTACKER))

    _age_failures(300)
    _fail(user.email, times=5)  # refused while locked out: not counted
    later = _assert_locked_out(_sign_in(user.email, DEFAULT_PASSWORD, ATTACKER))

    assert first > LOCKOUT_SECONDS - 10
    assert LOCKOUT_SECONDS - 310 <= later <= LOCKOUT_SECONDS - 295


def test_sign_in_works_again_once_the_lockout_has_passed(user):
    _fail(user.email)

    _age_failures(LOCKOUT_SECONDS + 1)
    response = _sign_in(user.email, DEFAULT_PASSWORD, ATTACKER)

    assert response.status_code == HTTPStatus.OK


def test_success_forgets_the_clients_failures_for_that_account(user):
    for _ in range(3):
        _fail(user.email, addr=OWNER, times=PER_ACCOUNT - 1)
        assert _sign_in(user.email, DEFAULT_PASSWORD, OWNER).status_code == 200


def test_success_keeps_the_clients_failures_for_other_accounts(user):
    victims = UserFactory.create_batch(PER_CLIENT - 1)
    for victim in victims:
        _fail(victim.email, times=1)
    assert _sign_in(user.email, DEFAULT_PASSWORD, ATTACKER).status_code == 200

    _fail(user.email, times=1)

    _assert_locked_out(_sign_in(user.email, DEFAULT_PASSWORD, ATTACKER))


def test_lockout_holds_without_a_working_cache(user, settings: Settings):
    # A cache that keeps nothing, as an unreachable Redis answers.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    }

    _fail(user.email)

    _assert_locked_out(_sign_in(user.email, DEFAULT_PASSWORD, ATTACKER))


@pytest.mark.parametrize("forwarded", ["garbage", "", "1.2.3.4.5", "::1, nonsense"])
def test_unparseable_forwarded_address_is_counted_by_the_connection(
    user, settings: Settings, forwarded: str
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for _ in range(PER_ACCOUNT):
        response = APIClient().post(
            reverse("users:auth-token"),
            {"email": user.email, "password": "not-the-password"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=forwarded,
        )
        assert response.status_code in {401, 429}

    assert AccessAttempt.objects.filter(ip_address=ATTACKER).exists()


# --- the admin ----------------------------------------------------------------


def _admin_sign_in(client: Client, email: str, password: str, addr: str) -> Any:
    return client.post(
        reverse("admin:login"),
        {"username": email, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=addr,
    )


def test_admin_login_locks_out_after_repeated_failures_with_a_clear_page(
    admin_user: User,
):
    client = Client()
    statuses = [
        _admin_sign_in(client, admin_user.email, "not-the-password", ATTACKER)
        for _ in range(PER_ACCOUNT - 1)
    ]

    locking = _admin_sign_in(client, admin_user.email, "not-the-password", ATTACKER)
    refused = _admin_sign_in(client, admin_user.email, DEFAULT_PASSWORD, ATTACKER)

    assert [response.status_code for response in statuses] == [200] * (PER_ACCOUNT - 1)
    for response in (locking, refused):
        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert response["Content-Type"].startswith("text/html")
        assert b"Too many failed sign-ins" in response.content
        assert 1 <= int(response["Retry-After"]) <= LOCKOUT_SECONDS
    assert "_auth_user_id" not in client.session


def test_admin_owner_signs_in_from_another_client_during_an_attack(admin_user):
    _fail(admin_user.email)
    attacked = Client()
    owner = Client()

    refused = _admin_sign_in(attacked, admin_user.email, DEFAULT_PASSWORD, ATTACKER)
    allowed = _admin_sign_in(owner, admin_user.email, DEFAULT_PASSWORD, OWNER)

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert allowed.status_code == HTTPStatus.FOUND
    assert owner.session["_auth_user_id"] == str(admin_user.pk)


def test_admin_and_api_failures_count_together(admin_user):
    client = Client()
    for _ in range(PER_ACCOUNT - 1):
        _admin_sign_in(client, admin_user.email.upper(), "not-the-password", ATTACKER)

    _assert_locked_out(_sign_in(admin_user.email, "not-the-password", ATTACKER))
    locked = _admin_sign_in(client, admin_user.email, DEFAULT_PASSWORD, ATTACKER)
    assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS
