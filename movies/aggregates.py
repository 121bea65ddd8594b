"""The rating aggregates each movie stores: kept by deltas, proved by a rebuild.

Every rating write changes its movie's count, sum, average and per-score
counts in the rating's transaction with one ``UPDATE ... SET rating_count =
rating_count + 1, ...`` (``apply_rating_deltas``): the database applies the
change to the row's current values under its row lock, so concurrent writers
never lose an update. ``rebuild`` derives the same values from the ratings
(through the ``Movie.ratings`` relation: this app never imports ``ratings``)
and is the proof of the bookkeeping. The ratings services call down into
this module; nothing here knows of them.

The writes here are SQL the ORM sends no signal for, so each announces the
movies it changed to the write seam itself (``catalogue_changed``).

Why the delta UPDATE is SQL and not ``Movie.objects.filter(pk=...).update()``
with ``F()`` expressions, which gives identical results: measured with
``bench/aggregate_writes.py`` (the statement alone, 2000 times each, and a
whole ``PUT movies/{id}/rating/`` through the test client, 300 times each, the
two forms alternating; median wall time, mean CPU time of the process in
brackets; milliseconds, on 2 cores under a load average of about 10)::

                 statement        statement        rating write     F() adds
                 as SQL           with F()         with SQL         per write
    SQLite       0.33 (0.36)      1.71 (1.72)      38.0 (6.6)       1.4 (1.4)
    PostgreSQL   0.57 (0.29)      3.57 (1.45)      20.9 (6.2)       3.0 (1.2)

``F()`` adds 4 % (SQLite, whose commit waits for the disk) and 14 %
(PostgreSQL) of a rating write's time, and a fifth of its CPU time on both:
building and compiling the expression tree (an assignment per column, a CASE
and two casts) on every call. That is well over the 5 % that makes the SQL
worth keeping, so it stays, built from the model's metadata (table, columns,
types).
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, FloatField, Q, QuerySet, Sum

from movies.models import SCORES, Movie, distribution_field
from movies.signals import catalogue_changed

logger = logging.getLogger(__name__)

Deltas = tuple[int, Decimal, dict[Decimal, int]]

AGGREGATE_FIELDS = [
    "rating_count",
    "rating_sum",
    "rating_average",
    *(distribution_field(score) for score in SCORES),
]


def _delta_sql(scores: Iterable[Decimal]) -> str:
    """Return the UPDATE of a movie's aggregates that changes these scores' counts.

    Its parameters are the change of the count, of the sum (each twice more
    for the average), one change per score, and the movie's id.
    """
    db = transaction.get_connection()
    column = {
        field.name: db.ops.quote_name(str(field.column))
        for field in Movie._meta.concrete_fields
    }
    rating_count, rating_sum = column["rating_count"], column["rating_sum"]
    float_type = FloatField().db_type(db)
    # Every expression of one UPDATE reads the row's old values.
    assignments = [
        f"{rating_count} = {rating_count} + %s",
        f"{rating_sum} = {rating_sum} + %s",
        f"{column['rating_average']} = CASE WHEN {rating_count} + %s > 0"
        f" THEN CAST({rating_sum} + %s AS {float_type}) / ({rating_count} + %s)"
        " ELSE NULL END",
    ]
    for score in scores:
        name = column[distribution_field(score)]
        assignments.append(f"{name} = {name} + %s")
    # Table and column names come from model metadata, values are parameters.
    return (
        f"UPDATE {db.ops.quote_name(Movie._meta.db_table)}"  # noqa: S608
        f" SET {', '.join(assignments)} WHERE {column['id']} = %s"
    )


def rating_deltas(*, added: Iterable[Decimal], removed: Iterable[Decimal]) -> Deltas:
    """Return the change of count, sum and per-score counts."""
    per_score: dict[Decimal, int] = defaultdict(int)
    count, total = 0, Decimal(0)
    for score in added:
        per_score[score] += 1
        count += 1
        total += score
    for score in removed:
        per_score[score] -= 1
        count -= 1
        total -= score
    return count, total, per_score


def apply_rating_deltas(
    *, movie_id: int, added: Iterable[Decimal] = (), removed: Iterable[Decimal] = ()
) -> None:
    """Add ratings of these scores to a movie's aggregates and take others out.

    One UPDATE computes every new value from the row's current values under
    its row lock, in the caller's transaction.
    """
    count, total, per_score = rating_deltas(added=added, removed=removed)
    changed = [score for score, delta in sorted(per_score.items()) if delta]
    params = [count, total, count, total, count, *(per_score[s] for s in changed)]
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(_delta_sql(changed), [*params, movie_id])
    # Raw SQL: no signal announces it.
    catalogue_changed([movie_id])


def apply_many_rating_deltas(
    deltas: dict[int, tuple[list[Decimal], list[Decimal]]],
) -> None:
    """Apply ``{movie_id: (added, removed)}``: one UPDATE per movie, sent at once.

    Each movie's UPDATE is ``apply_rating_deltas``' statement naming all ten
    scores, so that they are one ``executemany`` (pipelined by psycopg: a
    round trip for all, not one per movie; the ORM has no such form), in id
    order, the lock order of every bulk write.
    """
    if not deltas:
        return
    rows = []
    for movie_id, (added, removed) in sorted(deltas.items()):
        count, total, per_score = rating_deltas(added=added, removed=removed)
        per_movie = (per_score[score] for score in SCORES)
        rows.append([count, total, count, total, count, *per_movie, movie_id])
    with transaction.get_connection().cursor() as cursor:
        cursor.executemany(_delta_sql(SCORES), rows)
    # Raw SQL: no signal announces it.
    catalogue_changed(deltas.keys())


def _from_ratings(movie_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Return the aggregates the ratings imply for these movies, by id."""
    per_score = {f"n{i}": score for i, score in enumerate(SCORES)}
    rows = (
        Movie.objects.filter(pk__in=movie_ids)
        .order_by()
        .values("pk")
        .annotate(
            count=Count("ratings"),
            total=Sum("ratings__score"),
            **{
                name: Count("ratings", filter=Q(ratings__score=score))
                for name, score in per_score.items()
            },
        )
    )
    result = {}
    for values in rows:
        row: dict[str, Any] = dict(values)
        count, total = row["count"], Decimal(row["total"] or 0)
        result[row["pk"]] = {
            "rating_count": count,
            "rating_sum": total,
            "rating_average": float(total) / count if count else None,
            **{distribution_field(s): row[name] for name, s in per_score.items()},
        }
    return result


def _differs(movie: Movie, values: dict[str, Any]) -> bool:
    for field in AGGREGATE_FIELDS:
        stored, expected = getattr(movie, field), values[field]
        if field == "rating_average":
            if (stored is None) != (expected is None) or (
                stored is not None and abs(stored - expected) > 1e-9
            ):
                return True
        elif Decimal(stored) != Decimal(expected):
            return True
    return False


def _save(movies: list[Movie]) -> None:
    """Write the aggregates set on ``movies``, one parametrised UPDATE per row.

    ``bulk_update`` builds a CASE expression per field and row in Python, which
    takes minutes for the tens of thousands of movies of a data import.
    """
    if not movies:
        return
    db = transaction.get_connection()
    quote = db.ops.quote_name
    fields = [f for f in Movie._meta.concrete_fields if f.name in AGGREGATE_FIELDS]
    assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in fields)
    # Table and column names come from model metadata, values are parameters.
    sql = (
        f"UPDATE {quote(Movie._meta.db_table)} SET {assignments}"  # noqa: S608
        f" WHERE {quote(str(Movie._meta.pk.column))} = %s"
    )
    rows = [
        [field.get_db_prep_save(getattr(movie, field.attname), db) for field in fields]
        + [movie.pk]
        for movie in movies
    ]
    with db.cursor() as cursor:
        cursor.executemany(sql, rows)
    # Raw SQL: no signal announces it.
    catalogue_changed(movie.pk for movie in movies)


def rebuild(
    *, movies: QuerySet[Movie] | None = None, batch_size: int = 2000
) -> list[int]:
    """Rebuild stored aggregates from the ratings; return the corrected ids.

    Movies are locked batch by batch so that concurrent rating writes wait
    and then apply their change on top of the rebuilt values.
    """
    queryset = (movies if movies is not None else Movie.objects.all()).order_by("pk")
    all_ids = list(queryset.values_list("pk", flat=True))
    corrected: list[int] = []
    for start in range(0, len(all_ids), batch_size):
        ids = all_ids[start : start + batch_size]
        with transaction.atomic():
            locked = list(
                Movie.objects.select_for_update()
                .filter(pk__in=ids)
                .only("pk", *AGGREGATE_FIELDS)
                .order_by("pk")
            )
            expected = _from_ratings(ids)
            stale = []
            for movie in locked:
                values = expected[movie.pk]
                if _differs(movie, values):
                    for field, value in values.items():
                        setattr(movie, field, value)
                    stale.append(movie)
            _save(stale)
            corrected += [movie.pk for movie in stale]
    if corrected:
        logger.info("Rebuilt rating aggregates of %d movies", len(corrected))
    return corrected
