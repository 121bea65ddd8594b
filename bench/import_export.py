"""Benchmark history imports and the CSV export, and print the figures.

    python bench/import_export.py                              # SQLite and PostgreSQL
    python bench/import_export.py --databases sqlite --rows 5000 --runs 3
    python bench/import_export.py --postgres-url postgres://postgres@127.0.0.1:5432/mr

For each database the script runs itself in a child process on a scratch
database: a temporary SQLite file, or a PostgreSQL database named after the
one of ``--postgres-url`` (``<name>_bench_imports_<random>``), created on that server
and dropped at the end. The child migrates it and imports the MovieLens
catalogue (ml-latest-small, 9,742 films) with ``import_movielens``. It then
builds an IMDb ratings export of ``--rows`` rows from MovieLens (the IMDb id
from links.csv, title and year from movies.csv, a rating of 1-10 and a date
per row) and posts it to ``POST /api/v1/users/me/imports/`` through Django's
test client: the whole request path (token, multipart parsing, parsing,
matching, writing, the report), once per run and each time for a new user.
The p50 of the runs is printed with the share of rows matched. Last, a user
with ``--export-ratings`` ratings streams ``GET /api/v1/users/me/export/``
to its end, ``--runs`` times. This is not a test: the figures depend on the
machine and what else it runs.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import statistics
import sys
import time
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import children

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT.parent / "shared" / "datasets" / "movielens" / "ml-latest-small"


def _imdb_export(rows: int, *, seed: int = 42) -> bytes:
    """Return an IMDb ratings export of ``rows`` MovieLens films."""
    sys.path.insert(0, str(ROOT))
    from ratings.loading.movielens import parse_title

    with (DATASET / "links.csv").open(newline="", encoding="utf-8") as file:
        imdb = {row["movieId"]: row["imdbId"] for row in csv.DictReader(file)}
    with (DATASET / "movies.csv").open(newline="", encoding="utf-8") as file:
        films = list(csv.DictReader(file))
    if rows > len(films):
        raise SystemExit(f"MovieLens has {len(films)} films, fewer than {rows}.")
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "Const",
            "Your Rating",
            "Date Rated",
            "Title",
            "Original Title",
            "URL",
            "Title Type",
            "IMDb Rating",
            "Runtime (mins)",
            "Year",
            "Genres",
            "Num Votes",
            "Release Date",
            "Directors",
        ]
    )
    for row in rng.sample(films, rows):
        title, year = parse_title(row["title"])
        const = f"tt{imdb[row['movieId']]}"
        rated = date(2010, 1, 1) + timedelta(days=rng.randrange(5000))
        writer.writerow(
            [
                const,
                rng.randint(1, 10),
                rated.isoformat(),
                title,
                title,
                f"https://www.imdb.com/title/{const}/",
                "Movie",
                "7.1",
                "100",
                year or "",
                row["genres"].replace("|", ", "),
                "1000",
                f"{year or 2000}-01-01",
                "",
            ]
        )
    return out.getvalue().encode()


def _child(args: argparse.Namespace) -> dict[str, Any]:
    """Measure on the database of DATABASE_URL (run in a child process)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movieratings.settings")
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection
    from django.http import StreamingHttpResponse
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from imports.parsing import parse_history
    from imports.services import history_import
    from movies.models import Movie
    from ratings.loading.movielens import import_movielens, open_dataset
    from users.models import User

    call_command("migrate", verbosity=0)
    with open_dataset(str(DATASET)) as dataset:
        import_movielens(dataset, with_ratings=False)
    data = _imdb_export(args.rows)

    def client_for(name: str) -> tuple[User, APIClient]:
        user = User.objects.create_user(
            email=f"{name}@bench.invalid", username=name, password=None
        )
        client = APIClient(HTTP_HOST="localhost")
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return user, client

    seconds, matched = [], []
    for run in range(args.runs):
        _user, client = client_for(f"importer{run}")
        upload = SimpleUploadedFile("ratings.csv", data, "text/csv")
        started = time.perf_counter()
        response = client.post(
            "/api/v1/users/me/imports/", {"file": upload}, format="multipart"
        )
        seconds.append(time.perf_counter() - started)
        if response.status_code != 201:
            raise SystemExit(f"Import answered {response.status_code}: {response.data}")
        report = response.json()
        matched.append(report["created"] / report["rows"])

    exporter, client = client_for("exporter")
    parsed = parse_history(_imdb_export(args.export_ratings, seed=7))
    report = history_import(user=exporter, parsed=parsed)
    export_seconds, export_rows = [], 0
    for _run in range(args.runs):
        started = time.perf_counter()
        streamed = cast("StreamingHttpResponse", client.get("/api/v1/users/me/export/"))
        content = cast("Iterable[bytes]", streamed.streaming_content)
        export_rows = b"".join(content).count(b"\n") - 1
        export_seconds.append(time.perf_counter() - started)
    return {
        "database": connection.vendor,
        "films": Movie.objects.count(),
        "rows": args.rows,
        "runs": [round(s, 3) for s in seconds],
        "p50": statistics.median(seconds),
        "matched": min(matched),
        "export_ratings": report.created,
        "export_rows": export_rows,
        "export_runs": [round(s, 3) for s in export_seconds],
        "export_p50": statistics.median(export_seconds),
    }


def _print(figures: dict[str, Any]) -> None:
    print(
        f"{figures['database']:<10} import of {figures['rows']} IMDb rows "
        f"({figures['films']} films in the catalogue): p50 "
        f"{figures['p50']:.2f} s (runs {figures['runs']}), "
        f"{figures['matched']:.1%} of rows matched"
    )
    print(
        f"{'':<10} export of {figures['export_ratings']} ratings "
        f"({figures['export_rows']} CSV rows streamed): p50 "
        f"{figures['export_p50']:.3f} s (runs {figures['export_runs']})"
    )


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--export-ratings", type=int, default=2000)


def main() -> None:
    children.main(
        script=__file__,
        description=__doc__.split("\n\n")[0],
        arguments=_arguments,
        child=_child,
        child_args=lambda args: [
            f"--rows={args.rows}",
            f"--runs={args.runs}",
            f"--export-ratings={args.export_ratings}",
        ],
        purpose="bench_imports",
        env={"THROTTLE_HISTORY_IMPORT": "1000/min"},
        report=_print,
    )


if __name__ == "__main__":
    main()
