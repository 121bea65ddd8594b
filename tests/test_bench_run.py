"""The benchmark runs end to end: a smoke test of ``python bench/run.py``.

It runs the script as a person does, on a slice of the MovieLens data that
the repository ships (``data/ml-latest-small.zip``: the first films and the
ratings of the first users), one anonymous endpoint (no sign-ups to wait
for) for one second with its ceiling, in one small gunicorn process, and
reads the figures table it prints. The figures themselves depend on the
machine; what must hold is that every step ran (migrate, import, probe,
load, ceiling, CPU meters) and that no request failed.
"""

import csv
import io
import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from movieratings.testing import ROOT, run_command

pytestmark = [pytest.mark.server, pytest.mark.postgres, pytest.mark.redis]

MOVIELENS_ZIP = ROOT / "data" / "ml-latest-small.zip"
FILMS = 300
USERS = 60
BENCH_SECONDS = 240


def _slice_of_movielens(target: Path) -> Path:
    """Write the first ``FILMS`` films and the first ``USERS`` users' ratings
    of them to ``target`` as a MovieLens directory."""
    target.mkdir()
    with zipfile.ZipFile(MOVIELENS_ZIP) as archive:

        def rows(name: str) -> list[dict[str, str]]:
            text = archive.read(f"ml-latest-small/{name}").decode("utf-8")
            return list(csv.DictReader(io.StringIO(text)))

        films = rows("movies.csv")[:FILMS]
        kept = {film["movieId"] for film in films}
        tables = {
            "movies.csv": films,
            "links.csv": [row for row in rows("links.csv") if row["movieId"] in kept],
            "ratings.csv": [
                row
                for row in rows("ratings.csv")
                if row["movieId"] in kept and int(row["userId"]) <= USERS
            ],
        }
    for name, table in tables.items():
        with (target / name).open("w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=list(table[0]))
            writer.writeheader()
            writer.writerows(table)
    return target


def _figures(output: str) -> dict[str, dict[str, str]]:
    """Return the rows of the figures table, by endpoint, as column -> cell."""
    lines = [line for line in output.splitlines() if line.startswith("|")]
    header = next(i for i, line in enumerate(lines) if line.startswith("| endpoint"))
    columns = [cell.strip() for cell in lines[header].strip("|").split("|")]
    table = {}
    for line in lines[header + 2 :]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        table[cells[0]] = dict(zip(columns, cells, strict=True))
    return table


def test_bench_prints_the_figures_of_an_endpoint_and_its_ceiling_without_errors(
    tmp_path: Path,
) -> None:
    if shutil.which("wrk") is None:
        pytest.skip("the benchmark drives the server with wrk: apt-get install wrk")
    command = [
        sys.executable,
        "bench/run.py",
        f"--movielens={_slice_of_movielens(tmp_path / 'movielens')}",
        f"--postgres-url={os.environ['DATABASE_URL']}",
        f"--redis-url={os.environ['REDIS_URL']}",
        "--endpoints=detail",
        "--duration=1",
        "--warmup=0",
        "--connections=2",
        "--wrk-threads=1",
        "--probe-requests=1",
        # One process starts in a second or two; the defaults start five.
        "--workers=1",
        "--threads=2",
        "--worker-class=gthread",
    ]

    result = run_command(command, timeout=BENCH_SECONDS)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    row = _figures(result.stdout)["movie detail (anonymous)"]
    assert row["errors"] == "0", output
    # Every figure was measured: "-" marks one that was not.
    for column in ("req/s", "ceiling req/s", "queries/req", "app CPU ms/req"):
        assert row[column] != "-", (column, output)
    assert row["db CPU ms/req"] != "-", output
    assert float(row["req/s"]) > 0, output
    assert float(row["ceiling req/s"]) > 0, output
