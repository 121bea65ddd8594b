"""Time the aggregates' delta UPDATE as SQL and as ``F()``/``update()``.

    python bench/aggregate_writes.py                      # SQLite and PostgreSQL
    python bench/aggregate_writes.py --databases sqlite --statements 2000 --writes 300
    python bench/aggregate_writes.py --postgres-url postgres://postgres@127.0.0.1:5432/mr

Both forms make the same change to a movie's stored aggregates: the SQL of
``movies.aggregates.apply_rating_deltas``, and ``Movie.objects.filter(pk=...)
.update()`` with ``F()`` expressions (``_apply_rating_deltas_orm`` below). For
each database the script runs itself in a child process on a scratch database
(a temporary SQLite file, or ``<name>_bench_aggregates`` on the server of
``--postgres-url``, created there and dropped at the end) and times, the two
forms alternating:

- the statement alone, ``--statements`` times each, each in a transaction of
  its own (the time of the call, not of the commit);
- a whole rating write, ``--writes`` times each: ``PUT
  /api/v1/movies/{id}/rating/`` through Django's test client with a new score
  each time, the ratings services calling one form or the other.

It prints per database the median wall time of each (the mean CPU time of
this process in brackets), and what ``F()`` adds to a statement, as a share of
a rating write's time and of its CPU time (SQLite's commit waits for the disk,
PostgreSQL's for the server: the CPU share is the one a busy server feels).
Both forms' results are checked against ``rebuild()``. This is not a test:
the figures depend on the machine and what else it runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import children

ROOT = Path(__file__).resolve().parent.parent


def _apply_rating_deltas_orm(
    *, movie_id: int, added: Iterable[Decimal] = (), removed: Iterable[Decimal] = ()
) -> None:
    """``apply_rating_deltas`` through the ORM: the alternative measured."""
    from django.db.models import Case, F, FloatField, When
    from django.db.models.functions import Cast

    from movies.aggregates import rating_deltas
    from movies.models import Movie, distribution_field
    from movies.signals import catalogue_changed

    count, total, per_score = rating_deltas(added=added, removed=removed)
    Movie.objects.filter(pk=movie_id).update(
        rating_count=F("rating_count") + count,
        rating_sum=F("rating_sum") + total,
        rating_average=Case(
            When(
                rating_count__gt=-count,
                then=Cast(F("rating_sum") + total, FloatField())
                / Cast(F("rating_count") + count, FloatField()),
            ),
            default=None,
            output_field=FloatField(),
        ),
        **{
            distribution_field(score): F(distribution_field(score)) + delta
            for score, delta in sorted(per_score.items())
            if delta
        },
    )
    catalogue_changed([movie_id])


def _timed(call: Callable[..., Any], **kwargs: Any) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    call(**kwargs)
    return time.perf_counter() - wall, time.process_time() - cpu


def _check_exact() -> None:
    from movies import aggregates

    if aggregates.rebuild():
        raise SystemExit("A form left the aggregates inexact.")


def _put(*, client: Any, url: str, body: dict[str, float]) -> None:
    response = client.put(url, body, format="json")
    if response.status_code not in {200, 201}:
        raise SystemExit(f"PUT answered {response.status_code}")


def _summary(samples: list[tuple[float, float]]) -> dict[str, float]:
    """Median wall time and mean CPU time, in milliseconds."""
    return {
        "wall": statistics.median(wall for wall, _cpu in samples) * 1000,
        "cpu": statistics.fmean(cpu for _wall, cpu in samples) * 1000,
    }


def _child(args: argparse.Namespace) -> dict[str, Any]:
    """Measure on the database of DATABASE_URL (run in a child process)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movieratings.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from movies import aggregates
    from movies.models import SCORES, Movie
    from ratings import services
    from users.models import User

    call_command("migrate", verbosity=0)
    movies = [Movie.objects.create(title=f"Film {n}", year=2000) for n in range(20)]
    forms = {
        "sql": aggregates.apply_rating_deltas,
        "orm": _apply_rating_deltas_orm,
    }

    statements: dict[str, list[tuple[float, float]]] = {name: [] for name in forms}
    for n in range(args.statements):
        movie_id = movies[n % len(movies)].pk
        score = SCORES[n % len(SCORES)]
        order = list(forms) if n % 2 else list(reversed(forms))
        for name in order:
            apply = forms[name]
            with transaction.atomic():
                statements[name].append(_timed(apply, movie_id=movie_id, added=[score]))
            with transaction.atomic():  # Untimed: the ratings table never moves.
                apply(movie_id=movie_id, removed=[score])
    _check_exact()

    user = User.objects.create_user(
        email="rater@bench.invalid", username="rater", password=None
    )
    client = APIClient(HTTP_HOST="localhost")
    token = RefreshToken.for_user(user).access_token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    writes: dict[str, list[tuple[float, float]]] = {name: [] for name in forms}
    real = services.apply_rating_deltas
    for n in range(args.writes + 10):
        order = list(forms) if n % 2 else list(reversed(forms))
        for index, name in enumerate(order):
            services.apply_rating_deltas = forms[name]
            # Each movie comes back every tenth round, with the next score:
            # every write but a movie's first changes its rating's score.
            movie = movies[(2 * n + index) % len(movies)]
            url = f"/api/v1/movies/{movie.pk}/rating/"
            body = {"score": float(SCORES[n // 10 % len(SCORES)])}

            sample = _timed(_put, client=client, url=url, body=body)
            if n >= 10:  # The first writes warm up connections and caches.
                writes[name].append(sample)
    services.apply_rating_deltas = real
    _check_exact()
    return {
        "database": connection.vendor,
        "statements": args.statements,
        "writes": args.writes,
        "statement": {name: _summary(s) for name, s in statements.items()},
        "write": {name: _summary(s) for name, s in writes.items()},
    }


def _print(figures: dict[str, Any]) -> None:
    statement, write = figures["statement"], figures["write"]
    extra = statement["orm"]["wall"] - statement["sql"]["wall"]
    extra_cpu = statement["orm"]["cpu"] - statement["sql"]["cpu"]
    print(
        f"{figures['database']:<10} statement ({figures['statements']} each): "
        f"SQL {statement['sql']['wall']:.3f} ms (CPU {statement['sql']['cpu']:.3f}),"
        f" F() {statement['orm']['wall']:.3f} ms (CPU {statement['orm']['cpu']:.3f})"
    )
    print(
        f"{'':<10} rating write ({figures['writes']} each): "
        f"SQL {write['sql']['wall']:.2f} ms (CPU {write['sql']['cpu']:.2f}),"
        f" F() {write['orm']['wall']:.2f} ms (CPU {write['orm']['cpu']:.2f})"
    )
    print(
        f"{'':<10} F() adds {extra:.3f} ms a statement, "
        f"{extra / write['sql']['wall']:.1%} of a write's time "
        f"({extra_cpu:.3f} ms CPU, {extra_cpu / write['sql']['cpu']:.1%} of its CPU)"
    )


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--statements", type=int, default=2000)
    parser.add_argument("--writes", type=int, default=300)


def main() -> None:
    children.main(
        script=__file__,
        description=__doc__.split("\n\n")[0],
        arguments=_arguments,
        child=_child,
        child_args=lambda args: [
            f"--statements={args.statements}",
            f"--writes={args.writes}",
        ],
        purpose="bench_aggregates",
        env={"THROTTLE_USER": "1000000/min", "THROTTLE_RATING_WRITE": "1000000/min"},
        report=_print,
    )


if __name__ == "__main__":
    main()
