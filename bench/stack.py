"""The production stack the benchmark runs against.

A scratch PostgreSQL database, a Redis database, the Django management commands
and gunicorn, each started and stopped within time limits.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Lifted far above anything two cores can serve.
UNLIMITED_RATE = "1000000/s"
THROTTLE_SCOPES = ("ANON", "USER", "SIGNUP", "LOGIN", "RATING_WRITE")


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and why."""


def out(text: str = "") -> None:
    """Write a line of the report to stdout at once."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


class ScratchDatabase:
    """A PostgreSQL database created for one run and dropped afterwards."""

    def __init__(self, server_url: str, name: str) -> None:
        self.server_url = server_url
        self.name = name
        self.url = _with_database(server_url, name)
        self._created = False

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            _with_database(self.server_url, "postgres"),
            autocommit=True,
            connect_timeout=5,
        )

    def __enter__(self) -> ScratchDatabase:
        with self._admin() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name))
            )
        self._created = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.drop()

    def drop(self) -> None:
        if not self._created:
            return
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.name)
                )
            )
        self._created = False


def flush_redis(url: str) -> None:
    """Empty the benchmark's Redis database (never database 0)."""
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


def redis_db_index(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path else 0


def count_ratings(database_url: str) -> int:
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        row = conn.execute("SELECT count(*) FROM ratings_rating").fetchone()
    return int(row[0]) if row else 0


def dataset_shape(database_url: str) -> str:
    """Describe the data: movies, users and ratings."""
    counts = []
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        for table in ("movies_movie", "users_user", "ratings_rating"):
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            row = conn.execute(query).fetchone()
            counts.append(int(row[0]) if row else 0)
    return f"{counts[0]:,} movies, {counts[1]:,} users, {counts[2]:,} ratings"


def analyze(database_url: str) -> None:
    """Refresh planner statistics, as autovacuum would after a bulk load."""
    with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute("VACUUM ANALYZE")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Layout:
    """How gunicorn runs the app: worker class, processes and threads each."""

    workers: int | None = None
    threads: int | None = None
    worker_class: str | None = None

    @classmethod
    def parse(cls, text: str) -> Layout:
        """Parse ``[sync:|gthread:]W[xT]``, e.g. ``3x2``, ``sync:5``."""
        worker_class = None
        spec = text.strip()
        if ":" in spec:
            worker_class, spec = spec.split(":", 1)
            if worker_class not in {"sync", "gthread"}:
                raise ValueError(f"unknown worker class {worker_class!r}")
        workers_text, _, threads_text = spec.partition("x")
        workers = int(workers_text)
        threads = int(threads_text) if threads_text else None
        if worker_class is None:
            worker_class = "gthread"
        if worker_class == "sync" and threads not in (None, 1):
            raise ValueError("sync workers have one thread each")
        if workers < 1 or (threads is not None and threads < 1):
            raise ValueError("workers and threads must be at least 1")
        return cls(workers, 1 if worker_class == "sync" else threads, worker_class)

    def describe(self) -> str:
        if self.workers is None and self.threads is None and not self.worker_class:
            return "gunicorn.conf.py defaults"
        kind = self.worker_class or "gthread"
        workers = self.workers if self.workers is not None else "default"
        threads = self.threads if self.threads is not None else "default"
        return f"{kind} {workers} workers x {threads} threads"

    def args(self) -> list[str]:
        result: list[str] = []
        if self.workers is not None:
            result += ["--workers", str(self.workers)]
        if self.threads is not None:
            result += ["--threads", str(self.threads)]
        if self.worker_class is not None:
            result += ["--worker-class", self.worker_class]
        return result


# Not part of the application: left out of the snapshot the server runs from.
_NOT_CODE = (
    ".git",
    ".venv",
    "__pycache__",
    "*.pyc",
    ".*_cache",
    ".hypothesis",
    "staticfiles",
    "artifacts",
    "htmlcov",
    "node_modules",
    "db.sqlite3*",
)


def snapshot_code(target: Path) -> Path:
    """Copy the working tree (with uncommitted changes) to ``target``.

    The server runs from the copy, so that editing the tree during a run (or a
    worker re-importing it after gunicorn's max_requests) cannot mix versions.
    """
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(*_NOT_CODE))
    return target


def code_version() -> str:
    """Return the commit of the working tree, marked when it has changes."""
    git = shutil.which("git")
    if git is None:
        return "unknown"

    def run_git(*args: str) -> str:
        return subprocess.run(
            [git, *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()

    try:
        commit = run_git("rev-parse", "--short", "HEAD")
        dirty = run_git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit} with uncommitted changes" if dirty else commit


@dataclass
class Stack:
    """Environment and processes of one benchmark run."""

    database_url: str
    redis_url: str
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    code: Path = field(init=False)

    def __post_init__(self) -> None:
        self.code = snapshot_code(self.workdir / "app")
        self.env = {
            **os.environ,
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48)[:64],
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_STATIC_ROOT": str(self.workdir / "static"),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "LOG_LEVEL": "WARNING",
            # One sign-in must last the whole run.
            "JWT_ACCESS_TOKEN_MINUTES": "720",
            **{f"THROTTLE_{scope}": UNLIMITED_RATE for scope in THROTTLE_SCOPES},
        }
        self.env.pop("DJANGO_DEBUG", None)
        self.env.pop("DJANGO_SETTINGS_MODULE", None)

    def manage(self, *args: str, timeout: float = 3600) -> float:
        """Run a management command; return its wall time in seconds."""
        log = self.workdir / "manage.log"
        started = time.perf_counter()
        with log.open("w") as handle:
            try:
                result = subprocess.run(
                    [PYTHON, "manage.py", *args],
                    cwd=self.code,
                    env=self.env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise BenchError(
                    f"manage.py {' '.join(args)} took over {timeout:.0f}s"
                ) from exc
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            tail = log.read_text(errors="replace")[-3000:]
            raise BenchError(
                f"manage.py {' '.join(args)} failed ({result.returncode}):\n{tail}"
            )
        return elapsed

    def server(self, layout: Layout, *, log_level: str = "WARNING") -> Server:
        return Server(self, layout, log_level)

    def ceiling(self, layout: Layout, response: Path) -> Server:
        """Return gunicorn serving ``response`` from bench/ceiling.py alone."""
        return Server(
            self,
            layout,
            "WARNING",
            app="ceiling:app",
            env={"CEILING_RESPONSE": str(response)},
            pythonpath=self.code / "bench",
        )


class Server:
    """gunicorn serving movieratings.wsgi (or another WSGI app) on a free port.

    Whatever the app, gunicorn runs with the project's gunicorn.conf.py and the
    same layout, so that the ceiling (bench/ceiling.py) differs from the
    project in the application alone.
    """

    def __init__(
        self,
        stack: Stack,
        layout: Layout,
        log_level: str,
        *,
        app: str = "movieratings.wsgi",
        env: dict[str, str] | None = None,
        pythonpath: Path | None = None,
    ) -> None:
        self.stack = stack
        self.layout = layout
        self.app = app
        self.extra_env = env or {}
        self.pythonpath = pythonpath
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(
            tempfile.mkstemp(prefix="gunicorn-", suffix=".log", dir=stack.workdir)[1]
        )
        self.log_level = log_level
        self._process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        gunicorn = shutil.which("gunicorn", path=str(Path(PYTHON).parent))
        if gunicorn is None:
            raise BenchError("gunicorn is not installed in this virtualenv")
        bind = ["--bind", f"127.0.0.1:{self.port}"]
        if self.pythonpath is not None:
            bind += ["--pythonpath", str(self.pythonpath)]
        if (self.stack.code / "gunicorn.conf.py").exists():
            return [
                gunicorn,
                "-c",
                "gunicorn.conf.py",
                *bind,
                *self.layout.args(),
                self.app,
            ]
        layout = Layout(
            self.layout.workers or 3,
            self.layout.threads or 2,
            self.layout.worker_class or "gthread",
        )
        return [gunicorn, *bind, *layout.args(), self.app]

    def __enter__(self) -> Server:
        env = {
            **self.stack.env,
            "LOG_LEVEL": self.log_level,
            "PORT": str(self.port),
            **self.extra_env,
        }
        if self.layout.workers is not None:
            env["GUNICORN_WORKERS"] = str(self.layout.workers)
        if self.layout.threads is not None:
            env["GUNICORN_THREADS"] = str(self.layout.threads)
        with self.log_path.open("wb") as handle:
            self._process = subprocess.Popen(
                self.command(),
                cwd=self.stack.code,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_ready(timeout=60)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_ready(self, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise BenchError(
                    f"gunicorn exited with {self._process.returncode}:\n"
                    + self.log_path.read_text(errors="replace")[-3000:]
                )
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(  # noqa: S310 (local http URL)
                    self.base_url + "/readyz/", timeout=2
                ) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.2)
        raise BenchError(
            f"gunicorn was not ready within {timeout:.0f}s:\n"
            + self.log_path.read_text(errors="replace")[-3000:]
        )

    def stop(self, *, timeout: float = 20) -> None:
        """Stop gunicorn gracefully, killing it if it takes too long."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            # The master did not stop its workers in time: kill the whole group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    @property
    def pid(self) -> int:
        if self._process is None:
            raise BenchError("gunicorn is not running")
        return self._process.pid

    def error_summary(self, *, limit: int = 5) -> list[str]:
        """Return the distinct messages of the log's ERROR records (JSON lines)."""
        seen: dict[str, int] = {}
        for record in self.log_records():
            if record.get("level") not in {"ERROR", "CRITICAL"}:
                continue
            exception = str(record.get("exception", "")).strip().splitlines()
            message = exception[-1] if exception else str(record.get("message"))
            seen[message] = seen.get(message, 0) + 1
        ranked = sorted(seen.items(), key=lambda item: -item[1])
        return [f"{count} x {message[:200]}" for message, count in ranked[:limit]]

    def log_records(self) -> Iterator[dict[str, Any]]:
        """Yield the JSON records of the log (production logging), skip the rest."""
        for line in self.log_path.read_text(errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record
