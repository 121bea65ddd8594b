"""Fixtures of the hardening suite: production servers in subprocesses."""

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from movieratings.testing import Layout, Server, ServerFactory, Stack


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a migrated SQLite database file that servers start from a copy of."""
    directory = tmp_path_factory.mktemp("sqlite-template")
    database = directory / "db.sqlite3"
    Stack(directory, database_url=f"sqlite:///{database}").manage(
        "migrate", "--no-input"
    )
    return database


@pytest.fixture(scope="session")
def sqlite_server_factory(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerFactory]:
    """Return a factory of production servers, each on its own SQLite copy.

    One worker process with two threads, so that throttle counters in the
    in-process cache are exact; keyword arguments add to the server's
    environment. The caller starts the server (``with factory(...) as
    server``); any server still running at the end of the session is stopped
    here.
    """
    stacks: list[Stack] = []

    def make(**env: str) -> Server:
        directory = tmp_path_factory.mktemp("server")
        database = directory / "db.sqlite3"
        shutil.copyfile(sqlite_template, database)
        stack = Stack(directory, database_url=f"sqlite:///{database}", env=env)
        stacks.append(stack)
        return stack.server(Layout(1, 2, "gthread"))

    yield make
    for stack in stacks:
        stack.close()


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
