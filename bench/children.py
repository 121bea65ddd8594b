"""Run a benchmark's measuring half in a child process, once per database.

``bench/import_export.py`` and ``bench/aggregate_writes.py`` measure inside
Django, on a scratch database each: a temporary SQLite file, or a PostgreSQL
database created beside ``--postgres-url``'s and dropped at the end
(``movieratings.testing.ScratchDatabase``). Each script runs itself with
``--child`` under that ``DATABASE_URL`` (the in-process cache, so no shared
state is touched) and prints its figures as one JSON line, which
``measure`` returns per database.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--databases``, ``--postgres-url`` and the hidden ``--child``."""
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)


def _run(
    script: str, child_args: list[str], database_url: str, env: dict[str, str]
) -> dict[str, Any]:
    child_env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_ENV": "test",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    child_env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, script, "--child", *child_args],
        env=child_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"The benchmark failed:\n{result.stderr}{result.stdout}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def measure(
    script: str,
    child_args: list[str],
    *,
    args: argparse.Namespace,
    purpose: str,
    env: dict[str, str],
) -> Iterator[dict[str, Any]]:
    """Yield the figures ``script --child`` prints, per database of ``args``."""
    for name in (part.strip() for part in args.databases.split(",")):
        if name == "sqlite":
            with tempfile.TemporaryDirectory() as directory:
                url = f"sqlite:///{directory}/bench.sqlite3"
                yield _run(script, child_args, url, env)
        elif name == "postgresql":
            sys.path.insert(0, str(ROOT))
            from movieratings.testing import ScratchDatabase

            with ScratchDatabase(args.postgres_url, purpose) as scratch:
                yield _run(script, child_args, scratch.url, env)
        else:
            raise SystemExit(f"Unknown database {name!r}: sqlite or postgresql.")


def main(
    *,
    script: str,
    description: str,
    arguments: Callable[[argparse.ArgumentParser], None],
    child: Callable[[argparse.Namespace], dict[str, Any]],
    child_args: Callable[[argparse.Namespace], list[str]],
    purpose: str,
    env: dict[str, str],
    report: Callable[[dict[str, Any]], None],
) -> None:
    """Parse the command line; measure (``--child``) or report per database."""
    parser = argparse.ArgumentParser(description=description)
    add_arguments(parser)
    arguments(parser)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    for figures in measure(
        script, child_args(args), args=args, purpose=purpose, env=env
    ):
        report(figures)
