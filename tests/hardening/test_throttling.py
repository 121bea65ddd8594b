"""Throttles: each scope gives a 429 with ``Retry-After`` once its rate is spent.

DRF reads the rates into ``SimpleRateThrottle.THROTTLE_RATES`` when the class
is defined, so the in-process tests lower one rate in that dict for the test
(pytest.ini lifts every rate for the rest of the suite). One test starts the
real server with rates in its environment, which proves the chain from the
environment to a 429 on the wire.

Paths are the HTTP contract's (docs/API.md); a route that does not exist yet
is skipped with a message rather than passed.
"""

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.urls import Resolver404, resolve
from pytest_django.fixtures import Settings
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.throttling import SimpleRateThrottle

from movieratings.testing import (
    ROOT,
    HttpResponse,
    Server,
    ServerFactory,
    is_error_shape,
    production_env,
)
from movieratings.throttling import AnonRateThrottle
from movies.models import Movie
from users.models import User
from users.tests.factories import DEFAULT_PASSWORD

SIGNUP = "/api/v1/auth/signup/"
TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/users/me/"
RATINGS = "/api/v1/ratings/"
LIMIT = 3


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    # Throttling is under test here, not Argon2's cost: hash the cheap way.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def throttle_rate(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], None]:
    """Return a function that sets one scope's rate for this test only.

    The throttles also count in a cache of their own for the test: a shared
    Redis may hold other processes' counters under the same keys.
    """
    monkeypatch.setattr(
        SimpleRateThrottle, "cache", LocMemCache(f"throttle-{uuid.uuid4()}", {})
    )

    def set_rate(scope: str, rate: str) -> None:
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, rate)

    return set_rate


def _signup_body() -> dict[str, str]:
    name = uuid.uuid4().hex[:12]
    return {
        "email": f"{name}@example.com",
        "username": name,
        "password": "a-long-passphrase-1",
    }


def _require_route(path: str) -> None:
    try:
        resolve(path)
    except Resolver404:
        pytest.skip(f"{path} is not routed yet (API contract route missing)")


def _assert_throttled(response: Any, period_seconds: int) -> None:
    """Assert a 429 in the error shape, from the test client or the server."""
    if isinstance(response, HttpResponse):
        status, body = response.status, response.json()
        retry_after = response.headers.get("Retry-After")
        assert is_error_shape(response), str(response)
    else:
        status, body = response.status_code, response.json()
        retry_after = response.headers.get("Retry-After")
        assert set(body) == {"detail", "code", "fields"}, body
    assert status == HTTPStatus.TOO_MANY_REQUESTS, body
    assert body["code"] == "throttled"
    assert body["fields"] == {}
    assert retry_after is not None
    assert 1 <= int(retry_after) <= period_seconds


def _spend(send: Callable[[], Any], expected: HTTPStatus) -> None:
    for attempt in range(LIMIT):
        response = send()
        assert response.status_code == expected, (attempt, response.json())


@pytest.mark.django_db
def test_signup_over_its_rate_is_throttled(
    api_client: APIClient, throttle_rate: Callable[[str, str], None]
) -> None:
    throttle_rate("signup", f"{LIMIT}/min")

    _spend(lambda: api_client.post(SIGNUP, _signup_body()), HTTPStatus.CREATED)
    response = api_client.post(SIGNUP, _signup_body())

    _assert_throttled(response, 60)
    assert User.objects.count() == LIMIT


@pytest.mark.django_db
def test_token_over_the_login_rate_is_throttled_even_with_right_password(
    api_client: APIClient, user: User, throttle_rate: Callable[[str, str], None]
) -> None:
    throttle_rate("login", f"{LIMIT}/hour")
    credentials = {"email": user.email, "password": DEFAULT_PASSWORD}

    _spend(lambda: api_client.post(TOKEN, credentials), HTTPStatus.OK)
    response = api_client.post(TOKEN, credentials)

    _assert_throttled(response, 3600)


@pytest.mark.django_db
def test_a_spent_scope_leaves_the_other_scopes_open(
    api_client: APIClient, user: User, throttle_rate: Callable[[str, str], None]
) -> None:
    throttle_rate("signup", f"{LIMIT}/min")
    _spend(lambda: api_client.post(SIGNUP, _signup_body()), HTTPStatus.CREATED)

    response = api_client.post(
        TOKEN, {"email": user.email, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_rating_a_movie_over_the_rating_write_rate_is_throttled(
    client_for: Callable[[User | None], APIClient],
    user: User,
    throttle_rate: Callable[[str, str], None],
) -> None:
    movie = Movie.objects.create(title="Heat", year=1995)
    path = f"/api/v1/movies/{movie.pk}/rating/"
    _require_route(path)
    throttle_rate("rating_write", "2/min")
    client = client_for(user)

    created = client.put(path, {"score": 4})
    updated = client.put(path, {"score": 4.5})
    response = client.put(path, {"score": 5})

    assert created.status_code == HTTPStatus.CREATED, created.json()
    assert updated.status_code == HTTPStatus.OK, updated.json()
    _assert_throttled(response, 60)
    assert client.get(path).json()["score"] == 4.5


@pytest.mark.django_db
def test_ratings_endpoint_writes_over_the_rating_write_rate_are_throttled(
    client_for: Callable[[User | None], APIClient],
    user: User,
    throttle_rate: Callable[[str, str], None],
) -> None:
    _require_route(RATINGS)
    movie = Movie.objects.create(title="Heat", year=1995)
    throttle_rate("rating_write", "2/min")
    client = client_for(user)

    created = client.post(RATINGS, {"movie": movie.pk, "score": 4})
    rating_path = f"{RATINGS}{created.json()['id']}/"
    updated = client.patch(rating_path, {"score": 4.5})
    response = client.delete(rating_path)

    assert created.status_code == HTTPStatus.CREATED, created.json()
    assert updated.status_code == HTTPStatus.OK, updated.json()
    _assert_throttled(response, 60)
    assert client.get(rating_path).status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_rating_write_throttle_counts_per_user(
    client_for: Callable[[User | None], APIClient],
    user: User,
    other_user: User,
    throttle_rate: Callable[[str, str], None],
) -> None:
    movie = Movie.objects.create(title="Heat", year=1995)
    path = f"/api/v1/movies/{movie.pk}/rating/"
    _require_route(path)
    throttle_rate("rating_write", "1/min")
    client = client_for(user)
    assert client.put(path, {"score": 4}).status_code == HTTPStatus.CREATED
    _assert_throttled(client.put(path, {"score": 5}), 60)

    response = client_for(other_user).put(path, {"score": 3})

    assert response.status_code == HTTPStatus.CREATED


@pytest.mark.django_db
def test_anonymous_caller_over_the_anon_rate_is_throttled(
    api_client: APIClient, throttle_rate: Callable[[str, str], None]
) -> None:
    throttle_rate("anon", f"{LIMIT}/min")
    wrong = {"email": "nobody@example.com", "password": "not-the-password"}

    _spend(lambda: api_client.post(TOKEN, wrong), HTTPStatus.UNAUTHORIZED)
    response = api_client.post(TOKEN, wrong)

    _assert_throttled(response, 60)


@pytest.mark.django_db
def test_anonymous_callers_are_limited_by_the_anon_rate_alone(
    api_client: APIClient, throttle_rate: Callable[[str, str], None]
) -> None:
    throttle_rate("anon", f"{LIMIT + 2}/min")
    throttle_rate("user", f"{LIMIT}/min")

    _spend(lambda: api_client.get("/api/v1/genres/"), HTTPStatus.OK)
    for _ in range(2):
        assert api_client.get("/api/v1/genres/").status_code == HTTPStatus.OK
    response = api_client.get("/api/v1/genres/")

    _assert_throttled(response, 60)


@pytest.mark.django_db
def test_user_over_the_user_rate_is_throttled_and_others_are_not(
    client_for: Callable[[User | None], APIClient],
    user: User,
    other_user: User,
    throttle_rate: Callable[[str, str], None],
) -> None:
    throttle_rate("user", f"{LIMIT}/min")
    client = client_for(user)

    _spend(lambda: client.get(ME), HTTPStatus.OK)
    throttled = client.get(ME)
    other = client_for(other_user).get(ME)

    _assert_throttled(throttled, 60)
    assert other.status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_a_caller_is_let_in_again_once_its_window_closes(
    api_client: APIClient,
    throttle_rate: Callable[[str, str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    throttle_rate("anon", f"{LIMIT}/min")
    opened = time.time()

    def clock_at(seconds: float) -> None:
        # The cache's expiry and the throttle's clock both move.
        monkeypatch.setattr(time, "time", lambda: opened + seconds)
        monkeypatch.setattr(
            SimpleRateThrottle, "timer", staticmethod(lambda: opened + seconds)
        )

    _spend(lambda: api_client.get("/api/v1/genres/"), HTTPStatus.OK)
    clock_at(30)
    half_way = api_client.get("/api/v1/genres/")
    clock_at(61)
    after = [api_client.get("/api/v1/genres/").status_code for _ in range(LIMIT)]

    _assert_throttled(half_way, 31)  # About 30 s of the window left.
    assert after == [HTTPStatus.OK] * LIMIT


@pytest.mark.parametrize(
    "shared_cache", [False, pytest.param(True, marks=pytest.mark.redis)]
)
def test_concurrent_requests_of_one_caller_are_each_counted(
    throttle_rate: Callable[[str, str], None],
    monkeypatch: pytest.MonkeyPatch,
    shared_cache: bool,
) -> None:
    throttle_rate("anon", f"{LIMIT}/min")
    if shared_cache:  # Redis, as the servers count.
        monkeypatch.setattr(SimpleRateThrottle, "cache", cache)
    callers = 4 * LIMIT
    start = threading.Barrier(callers)

    def attempt(_: int) -> bool:
        request = Request(APIRequestFactory().get("/", REMOTE_ADDR="203.0.113.9"))
        request.user = AnonymousUser()
        start.wait(timeout=10)
        return AnonRateThrottle().allow_request(request, view=None)

    with ThreadPoolExecutor(callers) as pool:
        allowed = list(pool.map(attempt, range(callers)))

    assert allowed.count(True) == LIMIT


def test_throttle_rates_come_from_the_environment() -> None:
    rates = {
        "THROTTLE_ANON": "11/min",
        "THROTTLE_USER": "12/hour",
        "THROTTLE_SIGNUP": "13/day",
        "THROTTLE_LOGIN": "14/min",
        "THROTTLE_RATING_WRITE": "15/second",
        "THROTTLE_HISTORY_IMPORT": "16/hour",
    }
    env = production_env(ROOT / "staticfiles", **rates)
    script = (
        "import json, django; django.setup(); "
        "from django.conf import settings; "
        "print(json.dumps(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']))"
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "movieratings.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert json.loads(result.stdout) == {
        "anon": "11/min",
        "user": "12/hour",
        "signup": "13/day",
        "login": "14/min",
        "rating_write": "15/second",
        "history_import": "16/hour",
    }


@pytest.fixture(scope="module")
def throttled_server(sqlite_server_factory: ServerFactory) -> Iterator[Server]:
    with sqlite_server_factory(
        THROTTLE_SIGNUP=f"{LIMIT}/min", THROTTLE_LOGIN=f"{LIMIT}/min"
    ) as server:
        yield server


@pytest.mark.server
def test_server_throttles_signup_at_the_rate_set_in_its_environment(
    throttled_server: Server,
) -> None:
    statuses = [
        throttled_server.request("POST", SIGNUP, body=_signup_body()).status
        for _ in range(LIMIT)
    ]
    response = throttled_server.request("POST", SIGNUP, body=_signup_body())

    assert statuses == [HTTPStatus.CREATED] * LIMIT
    _assert_throttled(response, 60)


@pytest.mark.server
def test_server_throttles_sign_in_at_the_rate_set_in_its_environment(
    throttled_server: Server,
) -> None:
    statuses = [
        throttled_server.request(
            "POST",
            TOKEN,
            body={"email": f"{uuid.uuid4().hex}@example.com", "password": "x" * 12},
        ).status
        for _ in range(LIMIT)
    ]
    response = throttled_server.request(
        "POST", TOKEN, body={"email": "ann@example.com", "password": "x" * 12}
    )

    assert statuses == [HTTPStatus.UNAUTHORIZED] * LIMIT
    _assert_throttled(response, 60)


@pytest.fixture(scope="module")
def lockout_server(sqlite_server_factory: ServerFactory) -> Iterator[Server]:
    # One proxy in front: X-Forwarded-For names the client, so one server
    # sees an attacker's client and the owner's.
    with sqlite_server_factory(
        LOGIN_MAX_FAILURES_PER_ACCOUNT="2", LOGIN_LOCKOUT_SECONDS="600", NUM_PROXIES="1"
    ) as server:
        yield server


@pytest.mark.server
def test_server_locks_out_the_attacking_client_and_not_the_owner(
    lockout_server: Server,
) -> None:
    account = _signup_body()
    signed_up = lockout_server.request("POST", SIGNUP, body=account)

    def sign_in(password: str, client: str) -> HttpResponse:
        return lockout_server.request(
            "POST",
            TOKEN,
            body={"email": account["email"], "password": password},
            headers={"X-Forwarded-For": client},
        )

    first = sign_in("not-the-password", "203.0.113.66")
    locking = sign_in("not-the-password", "203.0.113.66")
    refused = sign_in(account["password"], "203.0.113.66")
    owner = sign_in(account["password"], "198.51.100.7")

    assert signed_up.status == HTTPStatus.CREATED, str(signed_up)
    assert first.status == HTTPStatus.UNAUTHORIZED, str(first)
    _assert_throttled(locking, 600)
    _assert_throttled(refused, 600)
    assert int(refused.headers["Retry-After"]) <= int(locking.headers["Retry-After"])
    assert owner.status == HTTPStatus.OK, str(owner)
