"""A hung Redis (accepts, never answers) costs what a dead one does.

Each test points the cache at its own fake: a ``TcpProxy`` that holds every
connection unanswered (``blackhole``), or forwards to the real Redis once it
is switched ``up``. The fake counts the connections it accepted: after a call
times out, redis-py drops that connection, so each further call that reached
Redis would open another.
"""

from collections.abc import Iterator
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from movieratings.cache_breaker import breaker
from movies.tests.factories import MovieFactory
from tests.hardening.tcp_proxy import TcpProxy
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

# A port nothing answers on: the blackholed proxy never forwards there.
_NOWHERE = ("127.0.0.1", 9)


def _redis_cache(address: str, database: str = "/0") -> dict[str, Any]:
    """Return CACHES for a Redis at ``address``, configured as in production."""
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://{address}{database}",
            "KEY_PREFIX": "breaker-test",
            "OPTIONS": {
                **settings.REDIS_CACHE_OPTIONS,
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
            },
        }
    }


@pytest.fixture(autouse=True)
def _closed_breaker() -> Iterator[None]:
    breaker.reset()
    yield
    breaker.reset()


@pytest.fixture
def hung_redis() -> Iterator[TcpProxy]:
    with TcpProxy(*_NOWHERE) as proxy:
        proxy.blackhole()
        with override_settings(CACHES=_redis_cache(proxy.address)):
            yield proxy


def test_after_a_timeout_cache_calls_stop_reaching_a_hung_redis(hung_redis):
    assert cache.get("anything") is None  # Waits out one timeout.

    for _ in range(20):
        assert cache.get("anything") is None
        assert cache.add("anything", 1) is None

    assert hung_redis.connections_total == 1


def test_requests_are_answered_from_the_database_without_calling_a_hung_redis(
    hung_redis,
):
    movie = MovieFactory.create()
    client = APIClient()

    responses = [client.get(reverse("movies:movie-list")) for _ in range(10)]
    detail = client.get(reverse("movies:movie-detail", args=[movie.pk]))

    assert {response.status_code for response in responses} == {HTTPStatus.OK}
    assert responses[-1].json()["count"] == 1
    assert detail.json()["id"] == movie.pk
    assert hung_redis.connections_total == 1


def test_once_the_cool_down_passes_one_call_probes_redis(hung_redis, settings):
    # A cool-down no slow machine outlasts between two calls: the test ends
    # the first one by hand, and the probe's failure must start another.
    settings.REDIS_BREAKER_SECONDS = 60.0
    cache.get("anything")
    breaker._open_until = 0.0  # The cool-down has passed.

    cache.get("anything")  # The probe: waits out a timeout, opens again.
    cache.get("anything")

    assert hung_redis.connections_total == 2
    assert breaker.is_open


@pytest.mark.redis
def test_a_redis_that_answers_again_closes_the_breaker():
    redis = urlsplit(settings.REDIS_URL)
    assert redis.hostname is not None
    with (
        TcpProxy(redis.hostname, redis.port or 6379) as proxy,
        override_settings(CACHES=_redis_cache(proxy.address, database=redis.path)),
    ):
        proxy.blackhole()
        cache.get("anything")
        assert breaker.is_open
        proxy.up()
        breaker._open_until = 0.0  # The cool-down has passed.

        cache.set("anything", "again")

        assert cache.get("anything") == "again"
        assert not breaker.is_open
        cache.delete("anything")


def test_sign_in_is_still_throttled_per_process_while_redis_hangs(
    hung_redis, monkeypatch
):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "login", "3/min")
    user = UserFactory.create()
    client = APIClient(REMOTE_ADDR="198.51.100.7")  # No other test's counts.
    body = {"email": user.email, "password": DEFAULT_PASSWORD + "wrong"}

    statuses = [
        client.post(reverse("users:auth-token"), body).status_code for _ in range(4)
    ]

    assert statuses == [HTTPStatus.UNAUTHORIZED] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]
