"""The README's commands run as written, on a checkout after ``make run``.

Every ``sh`` block of the README carries a ``readme-check`` comment saying
what it is: ``run`` blocks run here in the repository (on a scratch SQLite
database, migrated as ``make run`` leaves it), the ``tour`` runs against a
development server, and ``illustrative`` blocks give their reason (they serve
until stopped, ask questions, or need Docker or a download).
"""

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from movieratings.testing import free_port
from tests.conftest import ROOT

README = ROOT / "README.md"
KINDS = {"run", "tour", "illustrative"}
_BLOCK = re.compile(
    r"(?:<!-- readme-check: (?P<kind>\w+)(?P<reason>[^>]*)-->\s*\n)?"
    r"[ ]*```sh\n(?P<body>.*?)[ ]*```",
    re.DOTALL,
)
TOUR_BASE = "http://127.0.0.1:8000"


def _blocks(kind: str | None = None) -> list[tuple[str | None, str, str]]:
    found = [
        (match["kind"], match["reason"].strip(), match["body"])
        for match in _BLOCK.finditer(README.read_text())
    ]
    return [block for block in found if kind is None or block[0] == kind]


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CACHE_"))
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    return env


def _bash(script: str, env: dict[str, str], timeout: float, cwd: Path = ROOT) -> str:
    completed = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


@pytest.fixture
def checkout_env(tmp_path: Path) -> dict[str, str]:
    """Return the environment of a checkout after ``make run``: migrated, loaded."""
    env = _environment(tmp_path)
    _bash(
        "DJANGO_ENV=development .venv/bin/python manage.py migrate --no-input -v 0",
        env,
        timeout=120,
    )
    return env


def test_every_command_block_says_whether_it_runs():
    blocks = _blocks()

    assert blocks
    for kind, reason, body in blocks:
        assert kind in KINDS, body
        if kind == "illustrative":
            assert reason.startswith("("), body


def test_readme_commands_never_use_the_system_python():
    for _kind, _reason, body in _blocks():
        assert not re.search(r"(^|\s)python manage\.py", body), body


@pytest.mark.parametrize(
    "body", [body for _, _, body in _blocks("run")], ids=lambda body: body[:40]
)
def test_readme_command_block_runs_as_written(body, checkout_env):
    _bash(body, checkout_env, timeout=300)


@pytest.fixture
def development_server(checkout_env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    env = {**checkout_env, "DJANGO_ENV": "development"}
    subprocess.run(
        [sys.executable, "manage.py", "load_catalogue"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz/", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.server
@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_readme_tour_runs_against_a_development_server(
    development_server, checkout_env, tmp_path
):
    [(_, _, tour)] = _blocks("tour")
    assert TOUR_BASE in tour

    # The tour writes and downloads files: in a scratch directory, as a user's.
    output = _bash(
        tour.replace(TOUR_BASE, development_server),
        checkout_env,
        timeout=120,
        cwd=tmp_path,
    )

    assert '"rating_distribution"' in output
    assert '"my_rating":{"id"' in output
    assert '"detail"' not in output  # no error on the way


def test_a_command_without_django_env_says_how_to_run_it_locally(tmp_path):
    env = _environment(tmp_path)

    completed = subprocess.run(
        [sys.executable, "manage.py", "recompute_ratings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert "DJANGO_ENV=development" in completed.stderr
    assert len(completed.stderr.splitlines()) <= 3
