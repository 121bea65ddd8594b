"""The database, cache and environment that production servers share."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from psycopg import sql

from .server import GUNICORN, PYTHON, ROOT, Layout, Server, StackError, run_command

MANAGE_SECONDS = 600.0
# Far above anything two cores serve: tests and benchmarks that are not about
# throttling must never meet a limit.
UNTHROTTLED = {
    f"THROTTLE_{scope}": "1000000/s"
    for scope in ("ANON", "USER", "SIGNUP", "LOGIN", "RATING_WRITE")
}
# The variables of the outer environment a server inherits: nothing of the
# caller's configuration (DJANGO_ENV=test, DATABASE_URL, coverage hooks). The
# OpenBLAS ones are set on processors where older builds fail (numpy).
_INHERITED = frozenset(
    {"HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"}
)
# Not part of the application: left out of a snapshot of the code.
_NOT_CODE = [".git", ".venv", "__pycache__", "*.pyc", ".*_cache", ".hypothesis"]
_NOT_CODE += ["staticfiles", "artifacts", "htmlcov", "node_modules", "db.sqlite3*"]


def production_env(static_root: Path, **overrides: str) -> dict[str, str]:
    """Return the environment of a production server on 127.0.0.1."""
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env.update(
        # This virtualenv first: gunicorn, python and manage.py's commands.
        PATH=f"{Path(PYTHON).parent}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        PYTHONUNBUFFERED="1",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_hex(32),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_STATIC_ROOT=str(static_root),
        LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    return env


class ScratchDatabase:
    """A PostgreSQL database created for one stack and dropped after it.

    ``server_url`` names any database of the server (the suite's
    ``DATABASE_URL``, say); the scratch database is named after it and
    ``purpose``, with a random suffix, so that runs never share one.
    """

    def __init__(self, server_url: str, purpose: str) -> None:
        parts = urlsplit(server_url)
        base = parts.path.strip("/") or "movieratings"
        self.name = f"{base}_{purpose}_{secrets.token_hex(4)}"
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        self._server_url = server_url
        self._created = False

    def __enter__(self) -> Self:
        self._execute(sql.SQL("CREATE DATABASE {}"))
        self._created = True
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._created:
            self._execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)"))
            self._created = False

    def _execute(self, statement: sql.SQL) -> None:
        """Run ``statement`` on the database's name from the server's
        ``postgres`` database, as Django creates test databases, or else from
        the one ``server_url`` names."""
        query = statement.format(sql.Identifier(self.name))
        maintenance = urlunsplit(urlsplit(self._server_url)._replace(path="/postgres"))
        try:
            connection = psycopg.connect(
                maintenance, autocommit=True, connect_timeout=5
            )
        except psycopg.OperationalError:
            connection = psycopg.connect(
                self._server_url, autocommit=True, connect_timeout=5
            )
        with connection:
            connection.execute(query)


def sql_rows(
    database_url: str, query: str, params: tuple[Any, ...] = ()
) -> list[tuple[Any, ...]]:
    """Run ``query`` on the database directly, outside the server; return its
    rows (none for a statement without a result, such as ``VACUUM``)."""
    with psycopg.connect(
        database_url, autocommit=True, connect_timeout=5
    ) as connection:
        cursor = connection.execute(query, params)
        return cursor.fetchall() if cursor.description is not None else []


def delete_cache_keys(redis_url: str, prefix: str) -> None:
    """Delete every key under ``prefix``: one stack's cache, no one else's."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
    try:
        keys = list(client.scan_iter(f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()


class Stack:
    """What the production servers of one test module or benchmark share.

    The database (``database_url``: a scratch PostgreSQL database or a SQLite
    file), the cache (``redis_url``: keys under a prefix of the stack's own,
    deleted when it closes; without it each server process caches for
    itself), ``workdir`` for static files and logs, and the production
    environment built from them, throttles lifted unless ``throttled``.
    With ``snapshot`` the servers run from a copy of the working tree in
    ``workdir``, so that editing the tree during a long run cannot mix
    versions.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        database_url: str,
        redis_url: str = "",
        env: Mapping[str, str] | None = None,
        throttled: bool = False,
        snapshot: bool = False,
    ) -> None:
        self.workdir = workdir
        self.database_url = database_url
        self.redis_url = redis_url
        self.cache_prefix = f"stack-{secrets.token_hex(6)}"
        self.code = ROOT
        if snapshot:
            self.code = workdir / "app"
            shutil.copytree(ROOT, self.code, ignore=shutil.ignore_patterns(*_NOT_CODE))
        static_root = workdir / "static"
        static_root.mkdir(parents=True, exist_ok=True)
        overrides = {} if throttled else dict(UNTHROTTLED)
        overrides["DATABASE_URL"] = database_url
        if redis_url:
            overrides |= {"REDIS_URL": redis_url, "CACHE_KEY_PREFIX": self.cache_prefix}
        self.env = production_env(static_root, **(overrides | dict(env or {})))
        self._servers: list[Server] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def manage(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        timeout: float = MANAGE_SECONDS,
    ) -> str:
        """Run ``manage.py <args>`` in the stack; return its output or raise."""
        what = f"manage.py {' '.join(args)}"
        try:
            result = run_command(
                [PYTHON, "manage.py", *args],
                env={**self.env, **(env or {})},
                cwd=self.code,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise StackError(f"{what} took over {timeout:.0f}s") from exc
        if result.returncode != 0:
            raise StackError(
                f"{what} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result.stdout

    def server(
        self,
        layout: Layout | None = None,
        *,
        env: Mapping[str, str] | None = None,
        app: str = "movieratings.wsgi",
        pythonpath: Path | None = None,
        command: Sequence[str] = GUNICORN,
    ) -> Server:
        """Return a server of the stack (``with`` starts it), stopped at close.

        ``env`` adds to the stack's environment for this server alone.
        """
        server = Server(
            env={**self.env, **(env or {})},
            log_path=self.workdir / f"gunicorn-{len(self._servers) + 1}.log",
            layout=layout,
            app=app,
            cwd=self.code,
            pythonpath=pythonpath,
            command=command,
        )
        self._servers.append(server)
        return server

    def clear_cache(self) -> None:
        """Empty the stack's cache in Redis (a process's own cache stays)."""
        if self.redis_url:
            delete_cache_keys(self.redis_url, self.cache_prefix)

    def close(self) -> None:
        """Stop every server of the stack and delete its cache keys."""
        for server in self._servers:
            server.stop()
        with contextlib.suppress(redis.RedisError):
            self.clear_cache()
