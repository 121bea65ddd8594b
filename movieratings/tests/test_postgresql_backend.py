"""The PostgreSQL backend: a health check with no round trip, yet no dead
connection; statements a connection repeats are prepared.

Each test opens a connection of its own (not the test's transaction) and
records what goes over the wire with libpq's protocol trace.
"""

import select
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection, connections

from movieratings.postgresql.base import DatabaseWrapper
from movieratings.tests.test_settings import _run as run_python

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def own_connection() -> Iterator[DatabaseWrapper]:
    wrapper = connections.create_connection("default")
    assert isinstance(wrapper, DatabaseWrapper)
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def _backend_pid(wrapper: DatabaseWrapper) -> int:
    return int(wrapper.connection.info.backend_pid)


def _health_check(wrapper: DatabaseWrapper) -> None:
    """Run the check Django runs before the first query of a request."""
    wrapper.health_check_done = False
    wrapper.close_if_health_check_failed()


@contextmanager
def _wire(wrapper: DatabaseWrapper) -> Iterator[list[str]]:
    """Collect the protocol messages exchanged with the server meanwhile."""
    messages: list[str] = []
    pgconn = wrapper.connection.pgconn
    with tempfile.TemporaryFile() as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            yield messages
        finally:
            pgconn.untrace()
            trace.seek(0)
            messages.extend(trace.read().decode().splitlines())


def _wait_for_input(wrapper: DatabaseWrapper) -> None:
    poller = select.poll()
    poller.register(wrapper.connection.fileno(), select.POLLIN)
    deadline = time.monotonic() + 5
    while not poller.poll(0):
        assert time.monotonic() < deadline, "the server never ended the connection"
        time.sleep(0.01)


def test_health_check_of_an_idle_connection_sends_nothing(
    own_connection: DatabaseWrapper,
) -> None:
    assert own_connection.health_check_enabled
    pid = _backend_pid(own_connection)

    with _wire(own_connection) as messages:
        _health_check(own_connection)

    assert messages == []
    assert own_connection.connection is not None
    assert _backend_pid(own_connection) == pid


def test_connection_the_server_ended_is_replaced_before_the_next_query(
    own_connection: DatabaseWrapper,
) -> None:
    pid = _backend_pid(own_connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    _wait_for_input(own_connection)

    _health_check(own_connection)
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (new_pid,) = cursor.fetchone()

    assert new_pid != pid


def test_after_a_database_error_the_check_asks_the_server(
    own_connection: DatabaseWrapper,
) -> None:
    own_connection.errors_occurred = True

    with _wire(own_connection) as messages:
        usable = own_connection.is_usable()

    assert usable
    assert any("Query" in message for message in messages), messages


def _prepared_statements(wrapper: DatabaseWrapper) -> list[str]:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_a_query_run_repeatedly_is_prepared_with_its_parameters_apart(
    own_connection: DatabaseWrapper,
) -> None:
    query = 'SELECT count(*) FROM "users_user" WHERE "users_user"."id" > %s'

    for user_id in range(6):
        with own_connection.cursor() as cursor:
            cursor.execute(query, [user_id])

    assert query.replace("%s", "$1") in _prepared_statements(own_connection)


_COUNT_PREPARED_AFTER_REPEATS = """
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    for number in range(6):
        cursor.execute("SELECT %s::integer", [number])
    cursor.execute("SELECT count(*) FROM pg_prepared_statements")
    print(cursor.fetchone()[0])
"""


@pytest.mark.parametrize(("setting", "prepared"), [(None, 1), ("1", 1), ("0", 0)])
def test_database_prepared_statements_turns_preparing_on_and_off(
    setting: str | None, prepared: int
) -> None:
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (
        ":" + quote(db["PASSWORD"]) if db["PASSWORD"] else ""
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "movieratings.settings",
        "DJANGO_ENV": "development",
        "DATABASE_URL": (
            f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
    }
    if setting is not None:
        env["DATABASE_PREPARED_STATEMENTS"] = setting

    result = run_python(["-c", _COUNT_PREPARED_AFTER_REPEATS], **env)

    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == prepared
