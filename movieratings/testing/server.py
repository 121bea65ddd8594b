"""gunicorn on a free loopback port, and HTTP to it."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any, Self

import psutil

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
GUNICORN = (PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py")
START_SECONDS = 60.0
STOP_SECONDS = 10.0


class StackError(RuntimeError):
    """A step of starting or running the stack failed; the message says why."""


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def run_command(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` to its end, its output captured as text; raise
    ``subprocess.TimeoutExpired`` if it takes over ``timeout`` seconds."""
    return subprocess.run(  # noqa: S603 (the caller's own command)
        list(command),
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass(frozen=True)
class Layout:
    """How gunicorn runs the app: worker class, processes and threads each.

    ``Layout()`` keeps gunicorn.conf.py's choice.
    """

    workers: int | None = None
    threads: int | None = None
    worker_class: str | None = None

    @classmethod
    def parse(cls, text: str) -> Layout:
        """Parse ``[sync:|gthread:]W[xT]``, e.g. ``3x2``, ``sync:5``."""
        worker_class = "gthread"
        spec = text.strip()
        if ":" in spec:
            worker_class, spec = spec.split(":", 1)
            if worker_class not in {"sync", "gthread"}:
                raise ValueError(f"unknown worker class {worker_class!r}")
        workers_text, _, threads_text = spec.partition("x")
        workers = int(workers_text)
        threads = int(threads_text) if threads_text else None
        if worker_class == "sync" and threads not in (None, 1):
            raise ValueError("sync workers have one thread each")
        if workers < 1 or (threads is not None and threads < 1):
            raise ValueError("workers and threads must be at least 1")
        return cls(workers, 1 if worker_class == "sync" else threads, worker_class)

    def describe(self) -> str:
        if self == Layout():
            return "gunicorn.conf.py defaults"
        workers = "default" if self.workers is None else self.workers
        threads = "default" if self.threads is None else self.threads
        return f"{self.worker_class or 'gthread'} {workers} workers x {threads} threads"

    def args(self) -> list[str]:
        """Return gunicorn's options for the layout."""
        result: list[str] = []
        if self.workers is not None:
            result += ["--workers", str(self.workers)]
        if self.threads is not None:
            result += ["--threads", str(self.threads)]
        if self.worker_class is not None:
            result += ["--worker-class", self.worker_class]
        return result

    def env(self) -> dict[str, str]:
        """Return the variables gunicorn.conf.py reads for the same layout."""
        env = {}
        if self.workers is not None:
            env["GUNICORN_WORKERS"] = str(self.workers)
        if self.threads is not None:
            env["GUNICORN_THREADS"] = str(self.threads)
        return env


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


class Server:
    """gunicorn serving the project (or another WSGI app) on 127.0.0.1:<port>.

    Whatever the app, gunicorn reads the project's gunicorn.conf.py, so that
    the benchmark's ceiling app differs from the project in the app alone.
    ``command`` replaces how gunicorn is called, before the bind, layout and
    app (tests/test_production_server.py runs the Dockerfile's CMD).
    """

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        log_path: Path,
        layout: Layout | None = None,
        app: str = "movieratings.wsgi",
        cwd: Path = ROOT,
        pythonpath: Path | None = None,
        command: Sequence[str] = GUNICORN,
    ) -> None:
        layout = layout or Layout()
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "PORT": str(self.port), **layout.env()}
        self.log_path = log_path
        self.layout = layout
        self.cwd = cwd
        self.command = [*command, "--bind", f"127.0.0.1:{self.port}"]
        if pythonpath is not None:
            self.command += ["--pythonpath", str(pythonpath)]
        self.command += [*layout.args(), app]
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        if self.process is None:
            raise StackError("gunicorn is not running")
        return self.process.pid

    def start(self) -> None:
        """Start gunicorn and wait until ``/readyz/`` answers 200."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own command)
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for stop()
            )
        try:
            poll(self._ready, timeout=START_SECONDS, interval=0.2)
        except TimeoutError:
            self.stop()
            raise StackError(
                f"gunicorn not ready after {START_SECONDS:.0f}s:\n{self.log_tail()}"
            ) from None
        except BaseException:
            self.stop()
            raise

    def _ready(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            raise StackError(f"gunicorn exited at start:\n{self.log_tail()}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            return self.request("GET", "/readyz/", timeout=2).status == 200
        return False

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
        """Return the pids of the master's child processes."""
        return {child.pid for child in psutil.Process(self.pid).children()}

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_text()[-chars:]

    def log_records(self) -> Iterator[dict[str, Any]]:
        """Yield the JSON records of the log (production logging), skip the rest."""
        for line in self.log_text().splitlines():
            if not line.startswith("{"):
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        headers: Mapping[str, str] | None = None,
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
"""A function that returns a production server, not started yet."""
