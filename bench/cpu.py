"""CPU time spent serving a load run, read with psutil.

Throughput depends on everything else the machine runs; the CPU time the
server's own processes consume per request barely does. The app figure is
gunicorn's master, its live workers and the workers it has reaped (the
master's children times); the database figure is the PostgreSQL backends
connected to the benchmark's database, sampled while the load runs so that
backends of recycled workers are counted too. With a remote PostgreSQL, or
where psutil may not read a process, a figure is ``None``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import psutil
import psycopg

_LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
_GONE = (psutil.NoSuchProcess, psutil.AccessDenied)


def process_seconds(pid: int, *, reaped_children: bool = False) -> float | None:
    """Return the user + system CPU seconds of a process (and of the children
    it has waited for, with ``reaped_children``)."""
    try:
        times = psutil.Process(pid).cpu_times()
    except _GONE:
        return None
    seconds = times.user + times.system
    if reaped_children:
        seconds += times.children_user + times.children_system
    return seconds


def _waited_children_seconds() -> float:
    """Return the CPU seconds of this process's children that it has waited
    for: the load generator's, once it has exited."""
    times = psutil.Process().cpu_times()
    return times.children_user + times.children_system


def machine_busy_seconds() -> float:
    """Return the CPU seconds all CPUs have spent busy since boot."""
    times = psutil.cpu_times()
    return (
        times.user
        + times.system
        + sum(getattr(times, name, 0.0) for name in ("nice", "irq", "softirq", "steal"))
    )


def app_seconds(master_pid: int) -> float | None:
    """Return the CPU seconds of gunicorn's master and every worker it ran."""
    total = process_seconds(master_pid, reaped_children=True)
    if total is None:
        return None
    with contextlib.suppress(*_GONE):
        for worker in psutil.Process(master_pid).children():
            total += process_seconds(worker.pid) or 0.0
    return total


class CpuMeter:
    """Measure app and database CPU seconds over a ``with`` block."""

    def __init__(self, master_pid: int, database_url: str, *, interval: float = 0.5):
        self.master_pid = master_pid
        self.database_url = database_url
        self.interval = interval
        parts = urlsplit(database_url)
        self._database = parts.path.strip("/")
        self._db_local = (parts.hostname or "") in _LOCAL_HOSTS
        self._baseline: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._app_start: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: psycopg.Connection[tuple[Any, ...]] | None = None
        self._machine_start = 0.0
        self._wall_start = 0.0
        self._children_start = 0.0
        self.app_seconds: float | None = None
        self.db_seconds: float | None = None
        # Share of the machine's CPUs busy with anything but this run's server,
        # database backends and load generator (other work, Redis, the kernel).
        self.other_share: float | None = None

    def _backends(self) -> dict[int, float]:
        if self._connection is None:
            return {}
        rows = self._connection.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (self._database,),
        ).fetchall()
        seconds = {}
        for (pid,) in rows:
            value = process_seconds(int(pid))
            if value is not None:
                seconds[int(pid)] = value
        return seconds

    def _sample(self) -> None:
        for pid, value in self._backends().items():
            self._last[pid] = max(value, self._last.get(pid, 0.0))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with contextlib.suppress(psycopg.Error):
                self._sample()

    def __enter__(self) -> CpuMeter:
        self._app_start = app_seconds(self.master_pid)
        self._machine_start = machine_busy_seconds()
        self._wall_start = time.monotonic()
        self._children_start = _waited_children_seconds()
        if self._db_local:
            with contextlib.suppress(psycopg.Error):
                self._connection = psycopg.connect(
                    self.database_url, autocommit=True, connect_timeout=5
                )
                self._baseline = self._backends()
                self._last = dict(self._baseline)
                self._thread = threading.Thread(target=self._run, daemon=True)
                self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._connection is not None:
            with contextlib.suppress(psycopg.Error):
                self._sample()
                self.db_seconds = sum(
                    value - self._baseline.get(pid, 0.0)
                    for pid, value in self._last.items()
                )
            self._connection.close()
        if self._app_start is not None:
            end = app_seconds(self.master_pid)
            if end is not None:
                self.app_seconds = end - self._app_start
        if self.app_seconds is None:
            return
        ours = (
            self.app_seconds
            + (self.db_seconds or 0.0)
            + _waited_children_seconds()
            - self._children_start
        )
        capacity = (time.monotonic() - self._wall_start) * (psutil.cpu_count() or 1)
        other = machine_busy_seconds() - self._machine_start - ours
        self.other_share = max(0.0, other / capacity) if capacity else None
