from http import HTTPStatus

import pytest
from django.urls import reverse

from users.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def _sign_in(api_client, email, password, addr="10.0.0.1"):
    return api_client.post(
        reverse("users:auth-token"),
        {"email": email, "password": password},
        REMOTE_ADDR=addr,
    )


def test_token_after_repeated_failures_for_account_is_refused_with_retry_after(
    api_client, user, settings
):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    for _ in range(3):
        assert _sign_in(api_client, user.email, "wrong").status_code == 401
    response = _sign_in(api_client, user.email.upper(), DEFAULT_PASSWORD, "10.0.0.2")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(response["Retry-After"]) > 0
    assert set(response.json()) == {"detail", "code", "fields"}


def test_token_after_repeated_failures_from_client_is_refused_for_any_account(
    api_client, user, other_user, settings
):
    settings.LOGIN_MAX_FAILURES_PER_CLIENT = 2
    _sign_in(api_client, user.email, "wrong")
    _sign_in(api_client, other_user.email, "wrong")
    response = _sign_in(api_client, other_user.email, DEFAULT_PASSWORD)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    other_client = _sign_in(api_client, other_user.email, DEFAULT_PASSWORD, "10.9.9.9")
    assert other_client.status_code == HTTPStatus.OK


def test_token_success_resets_account_failures(api_client, user, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 2
    _sign_in(api_client, user.email, "wrong")
    assert _sign_in(api_client, user.email, DEFAULT_PASSWORD).status_code == 200
    _sign_in(api_client, user.email, "wrong")
    assert _sign_in(api_client, user.email, DEFAULT_PASSWORD).status_code == 200
