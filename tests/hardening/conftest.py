"""Fixtures of the hardening suite: production servers in subprocesses."""

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .server import Server, ServerFactory, manage, production_env


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a migrated SQLite database file that servers start from a copy of."""
    directory = tmp_path_factory.mktemp("sqlite-template")
    database = directory / "db.sqlite3"
    env = production_env(directory / "static", DATABASE_URL=f"sqlite:///{database}")
    manage(env, "migrate", "--no-input")
    return database


@pytest.fixture(scope="session")
def sqlite_server_factory(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerFactory]:
    """Return a factory of production servers, each on its own SQLite copy.

    One worker process, so that throttle counters in the in-process cache are
    exact. The caller starts the server (``with factory(...) as server``); any
    server still running at the end of the session is stopped here.
    """
    servers: list[Server] = []

    def make(**env: str) -> Server:
        directory = tmp_path_factory.mktemp("server")
        database = directory / "db.sqlite3"
        shutil.copyfile(sqlite_template, database)
        static_root = directory / "static"
        static_root.mkdir()
        server = Server(
            env=production_env(
                static_root, DATABASE_URL=f"sqlite:///{database}", **env
            ),
            log_path=directory / "gunicorn.log",
            workers=1,
        )
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


# Figures measured by the tests (outage latencies, recovery times), printed at
# the end of the run so that CI logs show them.
_FIGURES: list[tuple[str, str]] = []


@pytest.fixture
def figure() -> Callable[[str, float], None]:
    """Return a function that records one measured figure for the summary."""

    def record(name: str, value: float) -> None:
        _FIGURES.append((name, f"{value:g}"))

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("hardening figures")
        for name, value in _FIGURES:
            terminalreporter.write_line(f"{name} = {value}")
