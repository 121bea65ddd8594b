"""Fast row loading shared by the data management commands.

The ORM's ``bulk_create`` cannot keep historical timestamps (``auto_now`` and
``auto_now_add`` overwrite them) and is slow for millions of rows, so rows are
written with PostgreSQL's ``COPY`` where available and with a parametrised
``executemany`` elsewhere. Values are the fields' Python values; each backend
adapts them the way the ORM would.
"""

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    connection,
    connections,
    models,
    transaction,
)
from django.utils import timezone


def _chunks(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _copy(table: str, columns: str, rows: Iterable[Sequence[Any]]) -> int:
    written = 0
    # The psycopg 3 cursor under Django's wrapper (COPY is not in the DB-API);
    # its errors become Django's, as on any other query.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def _insert_many(
    model: type[models.Model],
    fields: "list[models.Field[Any, Any]]",
    columns: str,
    rows: Iterable[Sequence[Any]],
    *,
    ignore_conflicts: bool,
    batch_size: int,
) -> int:
    quote = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608 (names from model metadata)
    )
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    # Bulk data repeats values (ids, scores, timestamps): adapt each one once,
    # sharing the memo between columns of one type (created_at, updated_at).
    db = connections[DEFAULT_DB_ALIAS]  # The wrapper itself, not the proxy.
    shared: dict[tuple[type, str | None], dict[Any, Any]] = {}
    memos = [shared.setdefault((type(f), f.db_type(db)), {}) for f in fields]

    def prepare(
        field: "models.Field[Any, Any]", memo: dict[Any, Any], value: Any
    ) -> Any:
        try:
            return memo[value]
        except KeyError:
            prepared = memo[value] = field.get_db_prep_value(value, db, prepared=True)
            return prepared

    written = 0
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, batch_size):
            params = [
                [
                    prepare(field, memo, value)
                    for field, memo, value in zip(fields, memos, row, strict=True)
                ]
                for row in chunk
            ]
            cursor.executemany(sql, params)
            written += max(cursor.rowcount, 0)
    return written


def insert_rows(
    model: type[models.Model],
    field_names: list[str],
    rows: Iterable[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
    batch_size: int = 10_000,
) -> int:
    """Insert ``rows`` (values of ``field_names``) into ``model``'s table.

    Return how many rows were written. With ``ignore_conflicts`` a row that
    would break a unique constraint is skipped (and not counted). Signals and
    ``save()`` do not run, as with ``bulk_create``. Runs inside a transaction
    only: that keeps SQLite fast and lets a failure leave nothing behind.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("insert_rows() must run inside transaction.atomic().")
    fields = [model._meta.get_field(name) for name in field_names]
    concrete = [field for field in fields if isinstance(field, models.Field)]
    names = [field.column for field in concrete if field.column]
    if len(names) != len(fields):
        raise ValueError("insert_rows() takes concrete field names only.")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in names)
    if connection.vendor != "postgresql":
        return _insert_many(
            model,
            concrete,
            columns,
            rows,
            ignore_conflicts=ignore_conflicts,
            batch_size=batch_size,
        )
    table = quote(model._meta.db_table)
    if not ignore_conflicts:
        return _copy(table, columns, rows)
    # Callers have left out the rows they know exist, so a conflict is rare (a
    # concurrent writer): try the plain COPY, and only if it meets one, stage
    # the rows and insert those that fit.
    rows = rows if isinstance(rows, Sequence) else list(rows)
    try:
        with transaction.atomic():
            return _copy(table, columns, rows)
    except IntegrityError:
        pass
    staging = quote(f"{model._meta.db_table}_bulkload")
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
    _copy(staging, columns, rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} "  # noqa: S608
            "ON CONFLICT DO NOTHING"
        )
        written = cursor.rowcount
        cursor.execute(f"DROP TABLE {staging}")
    return written


def insert_instances(objs: Sequence[models.Model], *, batch_size: int = 10_000) -> int:
    """Insert unsaved instances of one model through ``insert_rows``.

    Faster than ``bulk_create`` for tens of thousands of rows, since no ORM
    statement is compiled per batch; the instances' pks are not set. Fields
    with ``auto_now``/``auto_now_add`` get the current time if still empty.
    """
    if not objs:
        return 0
    meta = type(objs[0])._meta
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
    now = timezone.now()
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                if getattr(obj, field.attname) is None:
                    setattr(obj, field.attname, now)
    return insert_rows(
        type(objs[0]),
        [field.name for field in fields],
        [[getattr(obj, field.attname) for field in fields] for obj in objs],
        batch_size=batch_size,
    )
