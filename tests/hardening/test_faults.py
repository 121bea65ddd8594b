"""Outages of PostgreSQL and Redis under the real production server.

gunicorn (2 workers x 2 threads, ``DJANGO_ENV=production``) reaches a scratch
database and a spare Redis database through ``TcpProxy``; a test takes a
proxy down and up again, never the shared services themselves. Without Redis
the API must answer exactly as with it; without PostgreSQL it must answer a
quick JSON 503, leave no partial write behind and recover by itself.

Paths are the HTTP contract's (docs/API.md). A part that needs a route the
server does not have yet (per its OpenAPI schema) is skipped with a message.
"""

import contextlib
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from movieratings import testing
from movieratings.testing import HttpResponse, is_error_shape, poll

from .tcp_proxy import TcpProxy

pytestmark = [pytest.mark.server, pytest.mark.postgres, pytest.mark.redis]

# The settings' DATABASE_CONNECT_TIMEOUT default, plus room for a loaded machine.
CONNECT_TIMEOUT = 3.0
ANSWER_BOUND = CONNECT_TIMEOUT + 4.0
RECOVERY_BOUND = 15.0
PASSWORD = "a-long-passphrase-1"
SIGNUP = "/api/v1/auth/signup/"
TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/users/me/"
MOVIES = "/api/v1/movies/"
GENRES = "/api/v1/genres/"
SCORE_COLUMNS = [f"ratings_{n // 2}_{5 * (n % 2)}" for n in range(1, 11)]
_REQUEST_LOG_STATUS = re.compile(r'"status": (5[0-9][0-9])[,}]')
# gunicorn's lines when it kills a stuck worker or starts a replacement.
_WORKER_TROUBLE = ("WORKER TIMEOUT", "Booting worker", "Worker exiting")
Figure = Callable[[str, float], None]


@dataclass
class Account:
    email: str
    token: str


@dataclass
class Stack:
    server: testing.Server
    pg: TcpProxy
    cache: TcpProxy
    database_url: str
    schema_paths: set[tuple[str, str]]
    movie_ids: list[int]
    _next_movie: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run ``query`` on the scratch database directly (not through the proxy)."""
        return testing.sql_rows(self.database_url, query, params)

    def get(self, path: str, token: str | None = None) -> HttpResponse:
        return self.server.request("GET", path, token=token)

    def has(self, method: str, path: str) -> bool:
        """Return whether the server's schema documents ``method path``."""
        return (method.lower(), _template(path)) in self.schema_paths

    def require(self, method: str, path: str) -> None:
        """Skip unless the server's schema documents ``method path``."""
        if not self.has(method, path):
            pytest.skip(f"{method} {path} is not in the server's API schema yet")

    def fresh_movie(self) -> int:
        """Return a movie no other test of this module has used."""
        with self._lock:
            movie_id = self.movie_ids[self._next_movie]
            self._next_movie += 1
        return movie_id

    def signup(self) -> Account:
        email = f"{uuid.uuid4().hex[:16]}@example.com"
        response = self.server.request(
            "POST",
            SIGNUP,
            body={"email": email, "username": email[:16], "password": PASSWORD},
        )
        assert response.status == HTTPStatus.CREATED, str(response)
        return Account(email=email, token=response.json()["access"])

    def signup_many(self, count: int) -> list[Account]:
        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(lambda _: self.signup(), range(count)))

    def ready(self) -> bool:
        with contextlib.suppress(OSError):
            return self.get("/readyz/").status == HTTPStatus.OK
        return False


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", re.sub(r"/[0-9]+/", "/{}/", path))


def _through(url: str, proxy: TcpProxy) -> str:
    """Return ``url`` with ``proxy`` in place of its host and port."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{proxy.address}" if userinfo else proxy.address
    return urlunsplit(parts._replace(netloc=netloc))


def _tcp_target(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or host.startswith("/"):
        pytest.skip("the fault tests proxy TCP: DATABASE_URL/REDIS_URL need a host")
    return host, parts.port or default_port


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not redis_url:
        pytest.skip("needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    with (
        testing.ScratchDatabase(database_url, "faults") as database,
        TcpProxy(*_tcp_target(database_url, 5432)) as pg,
        TcpProxy(*_tcp_target(redis_url, 6379)) as cache,
        testing.Stack(
            tmp_path_factory.mktemp("faults"),
            database_url=database.url,
            redis_url=redis_url,
            env={"CONN_MAX_AGE": "60"},
        ) as production,
    ):
        production.manage("migrate", "--no-input")
        production.manage("loaddata", "movies")
        # The server reaches both services through the proxies alone.
        through_proxies = {
            "DATABASE_URL": _through(database.url, pg),
            "REDIS_URL": _through(redis_url, cache),
            # No recycling: tests compare the worker processes over time.
            "GUNICORN_MAX_REQUESTS": "0",
        }
        server = production.server(testing.Layout(2, 2, "gthread"), env=through_proxies)
        server.start()
        schema = server.request("GET", "/api/schema/?format=json", timeout=60)
        assert schema.status == HTTPStatus.OK, str(schema)
        movie_ids = testing.sql_rows(
            database.url, "SELECT id FROM movies_movie ORDER BY id"
        )
        yield Stack(
            server=server,
            pg=pg,
            cache=cache,
            database_url=database.url,
            schema_paths={
                (method, _template(path))
                for path, operations in schema.json()["paths"].items()
                for method in operations
            },
            movie_ids=[row[0] for row in movie_ids],
        )


@pytest.fixture(autouse=True)
def _services_up_and_no_server_errors(stack: Stack) -> Iterator[None]:
    """Start each test with both services up; end it with them up and ready.

    Afterwards the server's log must hold no 5xx other than 503 and no worker
    killed or restarted.
    """
    stack.pg.up()
    stack.cache.up()
    poll(stack.ready, timeout=RECOVERY_BOUND)
    log_start = len(stack.server.log_path.read_bytes())
    yield
    stack.pg.up()
    stack.cache.up()
    poll(stack.ready, timeout=RECOVERY_BOUND)
    log = stack.server.log_path.read_bytes()[log_start:].decode(errors="replace")
    errors = [
        line
        for line in log.splitlines()
        if any(trouble in line for trouble in _WORKER_TROUBLE)
        or ((match := _REQUEST_LOG_STATUS.search(line)) and match.group(1) != "503")
    ]
    assert not errors, "server errors:\n" + "\n".join(errors)


def _assert_unavailable(response: HttpResponse) -> None:
    assert response.status == HTTPStatus.SERVICE_UNAVAILABLE, str(response)
    assert is_error_shape(response), str(response)
    assert response.elapsed < ANSWER_BOUND, response.elapsed


def _catalogue_paths(stack: Stack) -> list[str]:
    stack.require("GET", MOVIES)
    stack.require("GET", f"{MOVIES}{{id}}/")
    stack.require("GET", GENRES)
    movie_id = stack.fresh_movie()
    return [
        MOVIES,
        f"{MOVIES}?ordering=-year&page_size=5",
        f"{MOVIES}?page=2",
        f"{MOVIES}{movie_id}/",
        GENRES,
    ]


# Redis ---------------------------------------------------------------------


def test_redis_down_readiness_names_the_cache_until_it_is_back(
    stack: Stack, figure: Figure
) -> None:
    stack.cache.down()

    ready = stack.get("/readyz/")
    alive = stack.get("/healthz/")

    assert ready.status == HTTPStatus.SERVICE_UNAVAILABLE, str(ready)
    assert is_error_shape(ready)
    assert "cache" in ready.json()["detail"]
    assert "database" not in ready.json()["detail"]
    assert alive.status == HTTPStatus.OK
    stack.cache.up()
    figure("redis_recovery_seconds", poll(stack.ready, timeout=10))


@pytest.mark.parametrize("outage", ["down", "blackhole"])
def test_redis_outage_catalogue_reads_equal_reads_with_redis(
    stack: Stack, outage: str, figure: Figure
) -> None:
    paths = _catalogue_paths(stack)
    with_redis = {path: stack.get(path) for path in paths}
    assert all(r.status == HTTPStatus.OK for r in with_redis.values()), with_redis

    getattr(stack.cache, outage)()
    without_redis = {path: stack.get(path) for path in paths}

    for path in paths:
        response = without_redis[path]
        assert response.status == HTTPStatus.OK, (path, str(response))
        assert response.json() == with_redis[path].json(), path
        assert response.elapsed < ANSWER_BOUND, (path, response.elapsed)
    figure(
        f"redis_{outage}_read_seconds_max",
        round(max(r.elapsed for r in without_redis.values()), 3),
    )


def test_hung_redis_is_not_called_again_after_its_first_timeout(
    stack: Stack, figure: Figure
) -> None:
    paths = _catalogue_paths(stack)
    workers = len(stack.server.worker_pids())
    stack.cache.blackhole()
    for _ in range(workers):  # Each process meets its first timeout.
        for path in paths:
            assert stack.get(path).status == HTTPStatus.OK
    connections = stack.cache.connections_total

    answers = [stack.get(path) for _ in range(4) for path in paths]

    assert {answer.status for answer in answers} == {HTTPStatus.OK}
    # At most each process's first timeout (if it had served nothing yet) and
    # one probe per cool-down; without the breaker every cache call, several
    # per request, opened a connection and waited out its timeout.
    assert stack.cache.connections_total - connections <= 2 * workers
    figure(
        "redis_hung_read_seconds_max_after_first_timeout",
        round(max(answer.elapsed for answer in answers), 3),
    )


def test_redis_down_sign_up_sign_in_and_rating_still_work(stack: Stack) -> None:
    stack.cache.down()

    account = stack.signup()
    token = stack.server.request(
        "POST", TOKEN, body={"email": account.email, "password": PASSWORD}
    )
    me = stack.get(ME, token=account.token)

    assert token.status == HTTPStatus.OK, str(token)
    assert set(token.json()) == {"access", "refresh"}
    assert me.status == HTTPStatus.OK, str(me)
    assert me.json()["email"] == account.email
    movie_id = stack.fresh_movie()
    rating_path = f"{MOVIES}{movie_id}/rating/"
    stack.require("PUT", rating_path)
    rated = stack.server.request(
        "PUT", rating_path, body={"score": 4.5}, token=account.token
    )
    assert rated.status == HTTPStatus.CREATED, str(rated)
    assert rated.json()["score"] == 4.5


def test_redis_down_sign_in_lock_out_still_holds(stack: Stack) -> None:
    # Lock-out counts live in PostgreSQL: an outage of Redis does not lift it.
    account = stack.signup()
    stack.cache.down()

    def sign_in(password: str) -> HttpResponse:
        return stack.server.request(
            "POST", TOKEN, body={"email": account.email, "password": password}
        )

    failures = [sign_in("not-the-password").status for _ in range(5)]
    refused = sign_in(PASSWORD)

    assert failures == [HTTPStatus.UNAUTHORIZED] * 4 + [429], failures
    assert refused.status == HTTPStatus.TOO_MANY_REQUESTS, str(refused)
    assert is_error_shape(refused)
    assert 1 <= int(refused.headers["Retry-After"]) <= 900


def test_writes_during_a_redis_outage_show_once_redis_is_back(stack: Stack) -> None:
    movie_id = stack.fresh_movie()
    detail_path = f"{MOVIES}{movie_id}/"
    rating_path = f"{detail_path}rating/"
    stack.require("GET", detail_path)
    stack.require("PUT", rating_path)
    account = stack.signup()
    before = stack.get(detail_path).json()
    assert before["rating_count"] == 0
    stack.cache.down()

    rated = stack.server.request(
        "PUT", rating_path, body={"score": 2.5}, token=account.token
    )
    stack.cache.up()
    poll(stack.ready, timeout=10)
    # The worker that wrote retries its invalidation every 0.1 s, even with no
    # request to serve, once its circuit breaker lets it call Redis again
    # (REDIS_BREAKER_SECONDS after the failure). Until then another worker may
    # serve the entry stored before the write (the stale window of
    # docs/SCALING.md), while a worker whose breaker is still open reads the
    # database: reads that agree prove nothing before the retry is due.
    time.sleep(settings.REDIS_BREAKER_SECONDS + 1)
    # Whichever worker answers, several reads in a row agree.
    poll(
        lambda: all(
            stack.get(detail_path).json()["rating_count"] == 1 for _ in range(8)
        ),
        timeout=settings.REDIS_BREAKER_SECONDS + 5,
    )
    after = stack.get(detail_path).json()

    assert rated.status == HTTPStatus.CREATED, str(rated)
    assert after["rating_count"] == 1
    assert after["average_rating"] == 2.5
    assert after["rating_distribution"]["2.5"] == 1


# PostgreSQL ----------------------------------------------------------------


def test_postgres_down_readiness_names_the_database_liveness_stays_ok(
    stack: Stack,
) -> None:
    stack.pg.down()

    ready = stack.get("/readyz/")
    alive = stack.get("/healthz/")

    _assert_unavailable(ready)
    assert "database" in ready.json()["detail"]
    assert alive.status == HTTPStatus.OK


@pytest.mark.parametrize("outage", ["down", "blackhole"])
def test_postgres_outage_api_answers_a_quick_json_503(
    stack: Stack, outage: str, figure: Figure
) -> None:
    account = stack.signup()
    movie_id = stack.fresh_movie()
    getattr(stack.pg, outage)()
    requests: list[tuple[str, str, Any, str | None]] = [
        ("POST", TOKEN, {"email": account.email, "password": PASSWORD}, None),
        ("GET", ME, None, account.token),
        ("GET", f"{MOVIES}?search={uuid.uuid4().hex}", None, None),
    ]
    rating_path = f"{MOVIES}{movie_id}/rating/"
    if stack.has("PUT", rating_path):
        requests.append(("PUT", rating_path, {"score": 3}, account.token))

    # No more at once than one worker has threads: a request queued behind a
    # busy thread would measure the queue, not the answer.
    with ThreadPoolExecutor(stack.server.layout.threads or 1) as pool:
        responses = list(
            pool.map(
                lambda r: stack.server.request(r[0], r[1], body=r[2], token=r[3]),
                requests,
            )
        )

    for response in responses:
        _assert_unavailable(response)
        assert response.json()["code"] == "service_unavailable"
        assert response.headers["Retry-After"].isdigit()
    figure(
        f"postgres_{outage}_503_seconds_max",
        round(max(r.elapsed for r in responses), 3),
    )


def test_postgres_back_the_same_workers_answer_again_by_themselves(
    stack: Stack, figure: Figure
) -> None:
    account = stack.signup()
    workers = stack.server.worker_pids()
    stack.pg.down()
    # Enough requests that every worker thread meets the broken connection.
    for _ in range(8):
        _assert_unavailable(stack.get(ME, token=account.token))

    stack.pg.up()
    seconds = poll(
        lambda: stack.get(ME, token=account.token).status == HTTPStatus.OK,
        timeout=RECOVERY_BOUND,
    )
    statuses = {stack.get(ME, token=account.token).status for _ in range(12)}

    assert statuses == {HTTPStatus.OK}
    assert stack.server.process is not None
    assert stack.server.process.poll() is None
    assert stack.server.worker_pids() == workers
    figure("postgres_recovery_seconds", round(seconds, 3))


def test_postgres_outage_leaves_no_partial_writes(stack: Stack) -> None:
    account = stack.signup()
    movie_id = stack.fresh_movie()
    rating_path = f"{MOVIES}{movie_id}/rating/"
    stack.require("PUT", rating_path)
    rated = stack.server.request(
        "PUT", rating_path, body={"score": 3}, token=account.token
    )
    assert rated.status == HTTPStatus.CREATED, str(rated)
    lost_email = f"{uuid.uuid4().hex[:16]}@example.com"
    stack.pg.down()

    signup = stack.server.request(
        "POST",
        SIGNUP,
        body={"email": lost_email, "username": lost_email[:16], "password": PASSWORD},
    )
    change = stack.server.request(
        "PUT", rating_path, body={"score": 5}, token=account.token
    )
    stack.pg.up()
    poll(stack.ready, timeout=RECOVERY_BOUND)

    _assert_unavailable(signup)
    _assert_unavailable(change)
    assert stack.sql("SELECT id FROM users_user WHERE email = %s", (lost_email,)) == []
    assert stack.sql(
        "SELECT score FROM ratings_rating WHERE movie_id = %s", (movie_id,)
    ) == [(Decimal("3.0"),)]
    assert _aggregate_mismatches(stack) == []


def test_postgres_cut_during_a_write_burst_keeps_aggregates_exact(
    stack: Stack, figure: Figure
) -> None:
    stack.require("PUT", f"{MOVIES}{{id}}/rating/")
    accounts = stack.signup_many(4)
    movie_ids = [stack.fresh_movie() for _ in range(3)]
    statuses: list[int] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def write(account: Account, offset: int) -> None:
        n = offset
        while not stop.is_set():
            movie_id = movie_ids[n % len(movie_ids)]
            try:
                response = stack.server.request(
                    "PUT",
                    f"{MOVIES}{movie_id}/rating/",
                    body={"score": 0.5 + (n % 10) / 2},
                    token=account.token,
                    timeout=ANSWER_BOUND,
                )
            except OSError as error:  # a hang or a dropped connection
                failures.append(error)
                return
            statuses.append(response.status)
            n += 1

    threads = [
        threading.Thread(target=write, args=(account, i), daemon=True)
        for i, account in enumerate(accounts)
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.8)
        stack.pg.down()
        time.sleep(0.8)
        stack.pg.up()
        time.sleep(1.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(ANSWER_BOUND + 5)
    poll(stack.ready, timeout=RECOVERY_BOUND)

    assert not failures, failures
    assert set(statuses) <= {HTTPStatus.OK, HTTPStatus.CREATED, 503}, statuses
    assert 503 in statuses, "the outage hit no request"
    assert statuses[-1] in {HTTPStatus.OK, HTTPStatus.CREATED}
    assert _aggregate_mismatches(stack) == []
    figure("burst_requests", len(statuses))
    figure("burst_503s", statuses.count(503))


def _aggregate_mismatches(stack: Stack) -> list[tuple[Any, ...]]:
    """Return the movies whose stored aggregates differ from their ratings."""
    per_score = ", ".join(
        f"count(*) FILTER (WHERE score = {Decimal(n) / 2}) AS count_{n - 1}"
        for n in range(1, 11)
    )
    columns = ", ".join(SCORE_COLUMNS)
    return stack.sql(
        f"""
        SELECT m.id FROM movies_movie m
        LEFT JOIN (
            SELECT movie_id, count(*) AS n, sum(score) AS total, {per_score}
            FROM ratings_rating GROUP BY movie_id
        ) r ON r.movie_id = m.id
        WHERE (m.rating_count, m.rating_sum, {columns})
            IS DISTINCT FROM (
                coalesce(r.n, 0), coalesce(r.total, 0),
                {", ".join(f"coalesce(r.count_{i}, 0)" for i in range(10))}
            )
        """  # noqa: S608 (no input: column names are constants)
    )
