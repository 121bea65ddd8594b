"""Django's PostgreSQL backend, with a health check that costs no round trip.

With ``CONN_HEALTH_CHECKS`` Django checks a persistent connection before the
first query of each request by sending ``SELECT 1``: one more round trip to the
database on every request that reads it, a sixth of a cached movie detail's
CPU under load. A server that ends a connection (restart, shutdown, an
administrator's ``pg_terminate_backend``, an idle timeout) first says so on
the socket, and an idle connection otherwise receives nothing. So the check
looks, without waiting, for anything that has arrived: when nothing has, the
connection is used as it is; when something has, or after a database error,
the server is asked with ``SELECT 1`` as Django does.

A server that vanishes without a word (power loss, a cut network) is noticed
by neither check before the query itself, which then fails within the TCP
timeouts set in settings, as the ``SELECT 1`` would have.
"""

import select

from django.db.backends.postgresql import base


def _has_input(fd: int) -> bool:
    """Return whether data, an error or the end of the stream waits on ``fd``."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class DatabaseWrapper(base.DatabaseWrapper):
    # Set by Django's base class from CONN_HEALTH_CHECKS (absent from the stubs).
    health_check_enabled: bool
    health_check_done: bool

    def is_usable(self) -> bool:
        connection = self.connection
        quiet = (
            connection is not None
            and not connection.closed
            and not self.errors_occurred
            and hasattr(select, "poll")  # Not on Windows: there, ask the server.
            and not _has_input(connection.fileno())
        )
        return quiet or bool(super().is_usable())
