"""Run the real production server (gunicorn) in a subprocess and talk HTTP to it.

The server gets an environment built from scratch (``production_env``), so
nothing of the test process's own configuration (``DJANGO_ENV=test``, lifted
throttles, the developer's ``DATABASE_URL``) leaks into it. Every wait is
bounded and ``Server.stop`` always ends the process group it started.
"""

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psycopg

REPO_ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = REPO_ROOT / "gunicorn.conf.py"
START_SECONDS = 30.0
STOP_SECONDS = 10.0
MANAGE_SECONDS = 120.0
# The variables of the outer environment a server may inherit.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_env(static_root: Path, **overrides: str) -> dict[str, str]:
    """Return the environment of a production server on 127.0.0.1."""
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env.update(
        {
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": secrets.token_hex(32),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_STATIC_ROOT": str(static_root),
            "THROTTLE_ANON": "100000/min",
            "THROTTLE_USER": "100000/min",
            "THROTTLE_SIGNUP": "100000/min",
            "THROTTLE_LOGIN": "100000/min",
            "THROTTLE_RATING_WRITE": "100000/min",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    """Run ``manage.py <args>`` with ``env``; return its output or fail loudly."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=MANAGE_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


@dataclass
class HttpResponse:
    status: int
    headers: Message
    body: bytes
    elapsed: float

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return str(self.headers.get("Content-Type", ""))

    def __str__(self) -> str:
        return f"{self.status} {self.content_type} {self.body[:500]!r}"


@dataclass
class Server:
    """A gunicorn process serving movieratings on 127.0.0.1:<port>."""

    env: dict[str, str]
    log_path: Path
    workers: int = 2
    threads: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        config = ["-c", str(GUNICORN_CONF)] if GUNICORN_CONF.exists() else []
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            *config,
            "movieratings.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--worker-class",
            "gthread",
            "--graceful-timeout",
            "5",
            # No recycling: a test compares the worker processes over time.
            "--max-requests",
            "0",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_until_serving()
        except BaseException:
            self.stop()
            raise

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                if self.request("GET", "/healthz/", timeout=2).status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn not serving after {START_SECONDS}s")

    def stop(self) -> None:
        """Stop gunicorn gracefully, then by force; never leave a worker behind."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(STOP_SECONDS)
        # The session holds the master and its workers, whatever happened.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_SECONDS)

    def worker_pids(self) -> set[int]:
        """Return the pids of the master's child processes (Linux /proc)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return {int(pid) for pid in children.read_text().split()}

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
        timeout: float = 15.0,
    ) -> HttpResponse:
        """Send one request on a new connection and return the whole response.

        ``body`` is sent as JSON, ``raw`` as it is (with the caller's headers).
        """
        all_headers = {"Accept": "application/json"}
        payload = raw
        if body is not None:
            payload = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        started = time.monotonic()
        try:
            connection.request(method, path, body=payload, headers=all_headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        return HttpResponse(
            status=response.status,
            headers=response.msg,
            body=data,
            elapsed=time.monotonic() - started,
        )


ServerFactory = Callable[..., Server]
"""Build a production server on its own SQLite copy (``sqlite_server_factory``)."""


def sql_rows(
    database_url: str, query: str, params: tuple[Any, ...] = ()
) -> list[tuple[Any, ...]]:
    """Run ``query`` on the database directly, outside the server; return its rows."""
    with psycopg.connect(
        database_url, autocommit=True, connect_timeout=5
    ) as connection:
        return connection.execute(query, params).fetchall()


def is_error_shape(response: HttpResponse) -> bool:
    """Return whether ``response`` is JSON in the ``{detail, code, fields}`` shape."""
    if not response.content_type.startswith("application/json"):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and set(body) == {"detail", "code", "fields"}
        and isinstance(body["detail"], str)
        and isinstance(body["code"], str)
        and isinstance(body["fields"], dict)
    )


def poll(check: Callable[[], bool], *, timeout: float, interval: float = 0.1) -> float:
    """Call ``check`` until it returns True; return the seconds it took.

    Raise ``TimeoutError`` when it is still False after ``timeout`` seconds.
    """
    started = time.monotonic()
    while True:
        if check():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"condition still false after {timeout}s")
        time.sleep(interval)
