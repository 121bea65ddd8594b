"""``?page=N&page_size=M``: strict about types, lenient about size (users list)."""

from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from users.models import User

pytestmark = pytest.mark.django_db

URL = "users:user-list"


def _make_users(total: int) -> None:
    """Top the table up to ``total`` users (no password hashing: fast)."""
    start = User.objects.count()
    User.objects.bulk_create(
        User(email=f"bulk{n}@example.com", username=f"bulk{n}")
        for n in range(start, total)
    )


def _get(client: APIClient, **params: Any) -> Any:
    return client.get(reverse(URL), params)


def _assert_400_naming(response: Any, field: str) -> None:
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    assert list(body["fields"]) == [field]


def test_default_page_has_20_results_and_links(admin_client):
    _make_users(45)

    body = _get(admin_client).json()

    assert body["count"] == 45
    assert len(body["results"]) == 20
    assert body["previous"] is None
    assert body["next"].endswith("?page=2")


def test_pages_cover_every_row_once_in_order(admin_client):
    _make_users(45)

    seen: list[int] = []
    for page in (1, 2, 3):
        seen += [item["id"] for item in _get(admin_client, page=page).json()["results"]]

    assert seen == list(User.objects.order_by("id").values_list("id", flat=True))


def test_last_page_links_back_and_not_forward(admin_client):
    _make_users(45)

    body = _get(admin_client, page=3).json()

    assert len(body["results"]) == 5
    assert body["next"] is None
    assert "page=2" in body["previous"]


def test_page_size_is_honoured_and_kept_in_links(admin_client):
    _make_users(12)

    body = _get(admin_client, page_size=5, page=2).json()

    assert len(body["results"]) == 5
    assert "page_size=5" in body["next"]
    assert "page=3" in body["next"]


def test_page_size_over_maximum_is_capped_at_100(admin_client):
    _make_users(105)

    body = _get(admin_client, page_size=1000).json()

    assert body["count"] == 105
    assert len(body["results"]) == 100


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "1e3", " ", "²", "NaN"])
def test_page_not_a_whole_number_of_at_least_1_is_400(admin_client, value):
    _assert_400_naming(_get(admin_client, page=value), "page")


@pytest.mark.parametrize("value", ["abc", "0", "-5", "2.0", "+3", "\x00"])
def test_page_size_not_a_whole_number_of_at_least_1_is_400(admin_client, value):
    _assert_400_naming(_get(admin_client, page_size=value), "page_size")


def test_empty_page_and_page_size_count_as_absent(admin_client):
    _make_users(25)

    body = admin_client.get(f"{reverse(URL)}?page=&page_size=").json()

    assert len(body["results"]) == 20
    assert body["previous"] is None


def test_page_past_the_end_is_404(admin_client):
    _make_users(20)

    response = _get(admin_client, page=2)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert set(response.json()) == {"detail", "code", "fields"}


def test_huge_page_number_is_404_not_500(admin_client):
    response = _get(admin_client, page="9" * 30)

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_first_page_of_empty_result_is_200(admin_client):
    response = _get(admin_client, search="matches-nobody")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_unknown_parameters_are_ignored(admin_client):
    response = _get(admin_client, colour="blue", pagee="x")

    assert response.status_code == HTTPStatus.OK
