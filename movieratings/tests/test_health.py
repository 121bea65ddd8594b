"""Liveness and readiness probes."""

from http import HTTPStatus
from typing import Any

import pytest
from django.db import OperationalError
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from movieratings import health

pytestmark = pytest.mark.django_db


class _BrokenConnection:
    """A database connection whose every cursor fails, like a stopped server."""

    def cursor(self) -> Any:
        raise OperationalError("could not connect to server")


class _BrokenCache:
    def set(self, *args: Any, **kwargs: Any) -> None:
        raise ConnectionError("Redis is down")

    get = delete = set


class _ForgetfulCache:
    """A cache that accepts writes and returns nothing (evicting, misconfigured)."""

    def set(self, *args: Any, **kwargs: Any) -> None:
        return None

    def get(self, *args: Any, **kwargs: Any) -> None:
        return None

    def delete(self, *args: Any, **kwargs: Any) -> None:
        return None


def _assert_not_ready(response: Any, *names: str) -> None:
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    assert body["code"] == "not_ready"
    for name in names:
        assert name in body["detail"]


def test_healthz_is_200_without_touching_the_database(
    api_client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = api_client.get(reverse("healthz"))

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}


def test_healthz_stays_200_when_the_database_is_down(api_client, monkeypatch):
    monkeypatch.setattr(health, "connection", _BrokenConnection())

    assert api_client.get(reverse("healthz")).status_code == HTTPStatus.OK


def test_readyz_is_200_with_the_database(api_client, settings):
    settings.REDIS_URL = ""

    response = api_client.get(reverse("readyz"))

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_is_503_when_the_database_fails(api_client, monkeypatch):
    monkeypatch.setattr(health, "connection", _BrokenConnection())

    _assert_not_ready(api_client.get(reverse("readyz")), "database")


def test_readyz_checks_the_cache_where_one_is_configured(api_client, settings):
    settings.REDIS_URL = "redis://cache.invalid:6379/0"  # only switches the check on

    response = api_client.get(reverse("readyz"))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["checks"] == {"database": "ok", "cache": "ok"}


@pytest.mark.parametrize("cache", [_BrokenCache(), _ForgetfulCache()])
def test_readyz_is_503_when_the_cache_fails(api_client, settings, monkeypatch, cache):
    settings.REDIS_URL = "redis://cache.invalid:6379/0"
    monkeypatch.setattr(health, "cache", cache)

    _assert_not_ready(api_client.get(reverse("readyz")), "cache")


def test_readyz_names_every_failed_check(api_client, settings, monkeypatch):
    settings.REDIS_URL = "redis://cache.invalid:6379/0"
    monkeypatch.setattr(health, "cache", _BrokenCache())
    monkeypatch.setattr(health, "connection", _BrokenConnection())

    _assert_not_ready(api_client.get(reverse("readyz")), "cache", "database")


@pytest.mark.parametrize("probe", ["healthz", "readyz"])
def test_probes_ignore_credentials_and_throttles(probe, monkeypatch):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "1/min")

    statuses = {client.get(reverse(probe)).status_code for _ in range(3)}

    assert statuses == {HTTPStatus.OK}
