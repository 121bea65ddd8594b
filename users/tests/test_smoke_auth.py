from http import HTTPStatus

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_signup_then_token_then_me(api_client):
    response = api_client.post(
        reverse("users:auth-signup"),
        {
            "email": "Ann@Example.com",
            "username": "ann",
            "password": "a-long-passphrase-1",
        },
    )
    assert response.status_code == HTTPStatus.CREATED, response.json()
    body = response.json()
    assert body["user"]["role"] == "basic"
    response = api_client.post(
        reverse("users:auth-token"),
        {"email": "ann@example.com", "password": "a-long-passphrase-1"},
    )
    assert response.status_code == HTTPStatus.OK, response.json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    me = api_client.get(reverse("users:user-me"))
    assert me.status_code == HTTPStatus.OK
    assert me.json()["average_score"] is None
