"""The production stack that the tests and the benchmark run against.

One harness for every check that needs the server as it is deployed:
``Stack`` (stack.py) holds a database (a ``ScratchDatabase`` on PostgreSQL,
or a SQLite file), a cache key prefix of its own in a Redis database (or each
process's own cache), a directory for static files and logs, and the
production environment built from them, and runs management commands in it;
``Server`` (server.py) runs gunicorn with the project's gunicorn.conf.py and
``DJANGO_ENV=production`` on a free loopback port, waits for ``/readyz/``,
logs to a file, talks HTTP to it and stops its whole process group. Every
wait is bounded, and leaving a ``with`` block leaves no process, database or
cache key behind.

It serves tests/hardening (servers on SQLite copies, and on PostgreSQL
behind fault proxies), tests/schemathesis (a fuzzed server),
tests/test_production_server.py (the Dockerfile's own command) and bench/
(the benchmark and its ceiling app).

Why here: ``bench/`` is a directory of scripts (``python bench/run.py``) and
``tests/`` a package of test modules, and neither should reach into the
other. Like ``django.test`` and ``rest_framework.test``, the project's testing
support lives in the project package, which both reach: the tests through
the repository root that pytest puts on ``sys.path``, the benchmark scripts
by putting it there themselves. It imports nothing of Django (the servers are
other processes), the application never imports it, and it needs the
development requirements (psutil).
"""

from .server import (
    PYTHON,
    ROOT,
    HttpResponse,
    Layout,
    Server,
    ServerFactory,
    StackError,
    free_port,
    is_error_shape,
    poll,
    run_command,
)
from .stack import ScratchDatabase, Stack, production_env, sql_rows

__all__ = [
    "PYTHON",
    "ROOT",
    "HttpResponse",
    "Layout",
    "ScratchDatabase",
    "Server",
    "ServerFactory",
    "Stack",
    "StackError",
    "free_port",
    "is_error_shape",
    "poll",
    "production_env",
    "run_command",
    "sql_rows",
]
