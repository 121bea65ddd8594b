"""Concurrent rating writes through a multi-worker production server on PostgreSQL.

gunicorn runs 3 workers x 4 threads (``DJANGO_ENV=production``, throttles
lifted) on a scratch database; clients are plain ``http.client`` threads that
start together at a barrier, every request with a timeout and every scenario
with a bounded number of operations. Afterwards the API's aggregates, the
stored aggregate columns and the ratings table (read directly with psycopg)
must agree exactly, ``manage.py recompute_ratings`` must correct nothing, and
the server log must hold no 5xx and no killed worker.

The same races inside one process, at the service level, are in
``ratings/tests/test_concurrency.py``; this module proves them through HTTP,
several processes and their connection handling.
"""

import json
import os
import random
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from rest_framework.test import APIClient

from movieratings import testing
from movies.tests.factories import MovieFactory
from ratings import services
from users.tests.factories import UserFactory

SCORES = [Decimal(n) / 2 for n in range(1, 11)]
WORKERS, THREADS = 3, 4
CLIENTS = 50
OPERATIONS_PER_CLIENT = 8
# The storm's clients, the racer, two other raters and the user who leaves.
ACCOUNTS = CLIENTS + 4
RACES = 20
JOIN_SECONDS = 120.0
_SERVER_ERROR = re.compile(r'"status": (5[0-9][0-9])[,}]')
_WORKER_TROUBLE = ("WORKER TIMEOUT", "Booting worker", "Worker exiting")


@dataclass
class Account:
    id: int
    token: str


@dataclass
class Stack:
    server: testing.Server
    production: testing.Stack
    movie_ids: list[int]
    account_pool: list[Account]
    _next_movie: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return testing.sql_rows(self.production.database_url, query, params)

    def movies(self, count: int) -> list[int]:
        """Return ``count`` movies no other test of this module has used."""
        with self._lock:
            taken = self.movie_ids[self._next_movie : self._next_movie + count]
            self._next_movie += count
        assert len(taken) == count, "the fixture holds too few movies"
        return taken

    def request(self, method: str, path: str, **kwargs: Any) -> testing.HttpResponse:
        return self.server.request(method, path, **kwargs)

    def accounts(self, count: int) -> list[Account]:
        """Return ``count`` basic users no other test of this module has used."""
        with self._lock:
            taken, self.account_pool = (
                self.account_pool[:count],
                self.account_pool[count:],
            )
        assert len(taken) == count, "ACCOUNTS is too small"
        return taken


def _create_accounts(env: dict[str, str], count: int) -> list[Account]:
    """Create ``count`` basic users and return them with access tokens.

    Created in the database by a process with the server's settings (its
    signing key): signing up through the API would spend most of this
    module's time in Argon2, which the sign-up tests cover elsewhere.
    """
    result = testing.run_command(
        [sys.executable, "-c", _CREATE_ACCOUNTS, str(count)],
        env={**env, "DJANGO_SETTINGS_MODULE": "movieratings.settings"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = json.loads(result.stdout.strip().splitlines()[-1])
    return [Account(id=row["id"], token=row["token"]) for row in rows]


_CREATE_ACCOUNTS = """
import json, sys, uuid
import django
django.setup()
from rest_framework_simplejwt.tokens import AccessToken
from users.models import User
names = [uuid.uuid4().hex[:16] for _ in range(int(sys.argv[1]))]
users = User.objects.bulk_create(
    User(email=f"{name}@example.com", username=name, password="!") for name in names
)
print(json.dumps([{"id": u.pk, "token": str(AccessToken.for_user(u))} for u in users]))
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs DATABASE_URL (PostgreSQL)")
    # As in production, one Redis cache shared by the workers; without it each
    # worker would keep a cache of its own, which another worker's write
    # cannot invalidate (docs/SCALING.md): then cache nothing.
    redis_url = os.environ.get("REDIS_URL", "")
    env = {"CONN_MAX_AGE": "60"} | ({} if redis_url else {"CACHE_TIMEOUT": "0"})
    with (
        testing.ScratchDatabase(database_url, "concurrency") as database,
        testing.Stack(
            tmp_path_factory.mktemp("concurrency"),
            database_url=database.url,
            redis_url=redis_url,
            env=env,
        ) as production,
    ):
        production.manage("migrate", "--no-input")
        production.manage("loaddata", "movies")
        accounts = _create_accounts(production.env, ACCOUNTS)
        with production.server(testing.Layout(WORKERS, THREADS, "gthread")) as server:
            stack = Stack(
                server=server,
                production=production,
                movie_ids=[],
                account_pool=accounts,
            )
            stack.movie_ids = [
                row[0] for row in stack.sql("SELECT id FROM movies_movie ORDER BY id")
            ]
            yield stack


@pytest.fixture
def _no_server_errors(stack: Stack) -> Iterator[None]:
    """Fail a test after which the server logged a 5xx or lost a worker."""
    start = len(stack.server.log_path.read_bytes())
    yield
    log = stack.server.log_path.read_bytes()[start:].decode(errors="replace")
    trouble = [
        line
        for line in log.splitlines()
        if _SERVER_ERROR.search(line) or any(t in line for t in _WORKER_TROUBLE)
    ]
    assert not trouble, "server errors:\n" + "\n".join(trouble)


# The tests that drive the server: PostgreSQL only, and a clean server log.
on_server = [
    pytest.mark.server,
    pytest.mark.postgres,
    pytest.mark.usefixtures("_no_server_errors"),
]


def _on_server(test: Callable[..., None]) -> Callable[..., None]:
    for mark in on_server:
        test = mark(test)
    return test


def run_together(work: list[Callable[[], None]]) -> list[BaseException]:
    """Run each callable in its own thread from a barrier; return what they raised."""
    barrier = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            barrier.wait(timeout=30)
            job()
        except BaseException as exc:  # Reported to the test, not lost.
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,), daemon=True) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "clients still running"
    return errors


def _rating_path(movie_id: int) -> str:
    return f"/api/v1/movies/{movie_id}/rating/"


def _score_key(score: Decimal) -> str:
    return f"{score:.1f}"


def _assert_aggregates_match_the_ratings_table(
    stack: Stack, movie_ids: list[int]
) -> None:
    """Compare the API, the stored columns and the ratings table, movie by movie."""
    for movie_id in movie_ids:
        scores = [
            row[0]
            for row in stack.sql(
                "SELECT score FROM ratings_rating WHERE movie_id = %s", (movie_id,)
            )
        ]
        stored = stack.sql(
            "SELECT rating_count, rating_sum FROM movies_movie WHERE id = %s",
            (movie_id,),
        )[0]
        assert stored == (len(scores), sum(scores, Decimal(0))), movie_id

        detail = stack.request("GET", f"/api/v1/movies/{movie_id}/")
        assert detail.status == HTTPStatus.OK, str(detail)
        body = detail.json()
        counts = Counter(_score_key(score) for score in scores)
        assert body["rating_count"] == len(scores), movie_id
        assert body["rating_distribution"] == {
            _score_key(score): counts[_score_key(score)] for score in SCORES
        }, movie_id
        if scores:
            mean = sum(scores, Decimal(0)) / len(scores)
            assert body["average_rating"] == pytest.approx(float(mean), abs=0.005)
        else:
            assert body["average_rating"] is None


def _assert_recompute_corrects_nothing(stack: Stack) -> None:
    output = stack.production.manage("recompute_ratings")

    assert "all aggregates exact" in output, output
    assert "all ratings counts exact" in output, output


@_on_server
def test_fifty_clients_rating_three_movies_at_once_keep_aggregates_exact(
    stack: Stack, figure: Callable[[str, float], None]
) -> None:
    movies = stack.movies(3)
    accounts = stack.accounts(CLIENTS)
    # Each account is driven by one thread only: its final ratings are known.
    expected: dict[tuple[int, int], Decimal] = {}
    unexpected: list[str] = []

    def client(account: Account, seed: int) -> Callable[[], None]:
        def work() -> None:
            rng = random.Random(seed)
            for _ in range(OPERATIONS_PER_CLIENT):
                movie = rng.choice(movies)
                key = (account.id, movie)
                if rng.random() < 0.25:
                    response = stack.request(
                        "DELETE", _rating_path(movie), token=account.token
                    )
                    wanted = HTTPStatus.NO_CONTENT if key in expected else 404
                    expected.pop(key, None)
                else:
                    score = rng.choice(SCORES)
                    response = stack.request(
                        "PUT",
                        _rating_path(movie),
                        body={"score": float(score)},
                        token=account.token,
                    )
                    wanted = HTTPStatus.OK if key in expected else HTTPStatus.CREATED
                    expected[key] = score
                if response.status != wanted:
                    unexpected.append(f"{key} wanted {wanted}: {response}")

        return work

    started = time.monotonic()
    errors = run_together(
        [client(account, seed) for seed, account in enumerate(accounts)]
    )
    elapsed = time.monotonic() - started
    writes = CLIENTS * OPERATIONS_PER_CLIENT
    figure("concurrency: rating writes per second (50 clients)", writes / elapsed)

    assert errors == []
    assert unexpected == []
    stored = {
        (user_id, movie_id): score
        for user_id, movie_id, score in stack.sql(
            "SELECT user_id, movie_id, score FROM ratings_rating"
            " WHERE movie_id = ANY(%s)",
            (movies,),
        )
    }
    assert stored == expected
    _assert_aggregates_match_the_ratings_table(stack, movies)
    _assert_recompute_corrects_nothing(stack)


def _race_first_ratings(stack: Stack, account: Account, movie: int) -> list[int]:
    """PUT two first ratings of ``movie`` at once; return the two statuses."""
    statuses: list[int] = []

    def rate(score: float) -> Callable[[], None]:
        def work() -> None:
            response = stack.request(
                "PUT", _rating_path(movie), body={"score": score}, token=account.token
            )
            statuses.append(response.status)

        return work

    assert run_together([rate(2.0), rate(4.0)]) == []
    return statuses


@_on_server
def test_one_user_racing_two_first_ratings_gets_one_201_and_one_200(
    stack: Stack,
) -> None:
    (account,) = stack.accounts(1)
    movies = stack.movies(RACES)

    for movie in movies:
        statuses = _race_first_ratings(stack, account, movie)

        assert sorted(statuses) == [HTTPStatus.OK, HTTPStatus.CREATED], movie
        assert stack.sql(
            "SELECT count(*) FROM ratings_rating WHERE user_id = %s AND movie_id = %s",
            (account.id, movie),
        ) == [(1,)]
    _assert_aggregates_match_the_ratings_table(stack, movies)


@_on_server
def test_deleting_a_user_while_they_rate_keeps_aggregates_exact(stack: Stack) -> None:
    movies = stack.movies(2)
    others = stack.accounts(2)
    for other, movie in zip(others, movies, strict=True):
        response = stack.request(
            "PUT", _rating_path(movie), body={"score": 3.5}, token=other.token
        )
        assert response.status == HTTPStatus.CREATED, str(response)
    (leaver,) = stack.accounts(1)
    started, deleted = threading.Event(), threading.Event()
    after_deletion: list[testing.HttpResponse] = []
    refused: list[testing.HttpResponse] = []

    def rate() -> None:
        rng = random.Random(11)
        try:
            for attempt in range(200):
                if attempt == 5:
                    started.set()
                gone = deleted.is_set()
                movie = rng.choice(movies)
                if rng.random() < 0.3:
                    response = stack.request(
                        "DELETE", _rating_path(movie), token=leaver.token
                    )
                else:
                    response = stack.request(
                        "PUT",
                        _rating_path(movie),
                        body={"score": float(rng.choice(SCORES))},
                        token=leaver.token,
                    )
                assert response.status < 500, str(response)
                if gone:
                    after_deletion.append(response)
                if response.status in {HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN}:
                    refused.append(response)
                    if len(refused) >= 3:
                        return
        finally:
            started.set()

    def delete() -> None:
        started.wait(timeout=30)
        response = stack.request(
            "DELETE", f"/api/v1/users/{leaver.id}/", token=leaver.token
        )
        assert response.status == HTTPStatus.NO_CONTENT, str(response)
        deleted.set()

    assert run_together([rate, delete]) == []

    assert deleted.is_set()
    # Once the deletion had answered, no write of the deleted user went through.
    assert all(r.status == HTTPStatus.UNAUTHORIZED for r in after_deletion), [
        str(r) for r in after_deletion
    ]
    assert refused, "the deleted user's token kept working"
    assert stack.sql("SELECT count(*) FROM users_user WHERE id = %s", (leaver.id,)) == [
        (0,)
    ]
    assert stack.sql(
        "SELECT count(*) FROM ratings_rating WHERE user_id = %s", (leaver.id,)
    ) == [(0,)]
    _assert_aggregates_match_the_ratings_table(stack, movies)
    for movie in movies:
        assert (
            stack.request("GET", f"/api/v1/movies/{movie}/").json()["rating_count"] == 1
        )


# Two re-ratings that keep a movie's count and sum but move its distribution
# (1.0 and 5.0 both becoming 3.0) still invalidate its cached detail.


@pytest.mark.django_db
def test_cached_detail_follows_rerating_that_keeps_count_and_sum() -> None:
    movie = MovieFactory.create()
    low, high = UserFactory.create(password=None), UserFactory.create(password=None)
    services.rating_create(user=low, movie=movie, score=Decimal("1.0"))
    services.rating_create(user=high, movie=movie, score=Decimal("5.0"))
    url = f"/api/v1/movies/{movie.pk}/"
    assert APIClient().get(url).json()["rating_distribution"]["1.0"] == 1

    services.rating_upsert(user=low, movie_id=movie.pk, score=Decimal("3.0"))
    services.rating_upsert(user=high, movie_id=movie.pk, score=Decimal("3.0"))
    body = APIClient().get(url).json()

    assert body["rating_count"] == 2
    assert body["rating_distribution"]["1.0"] == 0
    assert body["rating_distribution"]["5.0"] == 0
    assert body["rating_distribution"]["3.0"] == 2
