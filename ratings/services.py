"""Writes on ratings, each keeping its movie's stored aggregates exact.

Every rating write changes the movie's aggregates in the same transaction with
one ``UPDATE ... SET rating_count = rating_count + 1, ...``: the database
applies the change to the row's current values under its row lock, so
concurrent writers never lose an update. ``movie_aggregates_rebuild`` derives
the same values from the ratings table and is the proof of the bookkeeping.
Every rating created or changed is announced with ``ratings.events.movies_rated``
in its transaction, for the apps built on ratings (the watchlist).
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, FloatField, Q, QuerySet, Sum
from django.utils import timezone

from movieratings.constraints import constraint_errors
from movieratings.services import model_update
from movies.cache import invalidate_movies_on_commit
from movies.models import SCORES, Movie, distribution_field
from ratings.events import send_movies_rated
from ratings.loading.bulkload import insert_rows
from ratings.models import Rating, clean_review, clean_score
from users.models import User

logger = logging.getLogger(__name__)


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


def _deltas(
    added: Iterable[Decimal], removed: Iterable[Decimal]
) -> tuple[int, Decimal, dict[Decimal, int]]:
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


def _apply_deltas(
    movie_id: int, *, added: Iterable[Decimal], removed: Iterable[Decimal]
) -> None:
    """Add ratings to and take ratings from a movie's stored aggregates.

    One UPDATE computes every new value from the row's current values under
    its row lock. It is written as SQL because it runs on every rating write
    and the ORM's expression tree for it costs more CPU than the statement.
    """
    count, total, per_score = _deltas(added, removed)
    changed = [score for score, delta in sorted(per_score.items()) if delta]
    params = [count, total, count, total, count, *(per_score[s] for s in changed)]
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(_delta_sql(changed), [*params, movie_id])


def _apply_many_deltas(
    deltas: dict[int, tuple[list[Decimal], list[Decimal]]],
) -> None:
    """Apply ``{movie_id: (added, removed)}``: one UPDATE per movie, sent at once.

    Each movie's UPDATE is ``_apply_deltas``' statement naming all ten
    scores, so that they are one ``executemany`` (pipelined by psycopg: a
    round trip for all, not one per movie), in id order, the lock order of
    every bulk write.
    """
    if not deltas:
        return
    rows = []
    for movie_id, (added, removed) in sorted(deltas.items()):
        count, total, per_score = _deltas(added, removed)
        per_movie = (per_score[score] for score in SCORES)
        rows.append([count, total, count, total, count, *per_movie, movie_id])
    with transaction.get_connection().cursor() as cursor:
        cursor.executemany(_delta_sql(SCORES), rows)


def _lock_rater_and_movie(*, user_id: int, movie_id: int) -> None:
    """Lock the rater and the movie of a rating about to be created or changed.

    One statement locks both rows. The user row is locked ``FOR NO KEY
    UPDATE``: every write that may create a rating takes this lock first, so a
    user's rating writes run one at a time and "has this user rated this
    movie?" keeps its answer until the transaction ends; it also orders the
    write after a concurrent deletion of the user (``ratings_delete_for_user``
    locks the user row first) instead of deadlocking at commit. The movie row
    is locked ``FOR KEY SHARE``, the lock PostgreSQL's check of the rating's
    foreign key takes at commit anyway, so a movie deleted meanwhile is
    reported here rather than as an IntegrityError.

    Raise PermissionDenied if the user is gone, ``Movie.DoesNotExist`` if the
    movie is.
    """
    postgresql = connection.vendor == "postgresql"
    quote = connection.ops.quote_name
    # Table and column names come from model metadata, values are parameters.
    user_row, movie_row = (
        f"(SELECT 1 FROM {quote(model._meta.db_table)}"  # noqa: S608
        f" WHERE {quote(str(model._meta.pk.column))} = %s{lock if postgresql else ''})"
        for model, lock in ((User, " FOR NO KEY UPDATE"), (Movie, " FOR KEY SHARE"))
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {user_row}, {movie_row}", [user_id, movie_id])
        user_exists, movie_exists = cursor.fetchone()
    if user_exists is None:
        raise PermissionDenied("This account no longer exists.")
    if movie_exists is None:
        raise Movie.DoesNotExist("This movie does not exist.")


def _insert(*, user: User, movie_id: int, score: Decimal, review: str) -> Rating:
    """Insert a rating under the rater's lock; a second one is a ValidationError.

    The database checks that it is the user's first rating of the movie
    (``ratings_rating_one_per_user_and_movie``): the rater's lock keeps the
    answer from changing until the transaction ends.
    """
    with constraint_errors(Rating):
        rating = Rating.objects.create(
            user=user, movie_id=movie_id, score=score, review=review
        )
    _apply_deltas(movie_id, added=[score], removed=[])
    send_movies_rated(user_id=user.pk, movie_ids=[movie_id])
    invalidate_movies_on_commit([movie_id])
    return rating


def _change(rating: Rating, *, score: Decimal | None, review: str | None) -> None:
    """Write a new score and/or review (None keeps it) of a locked ``rating``."""
    old_score = rating.score
    changes = {"score": score, "review": review}
    model_update(
        instance=rating, data={k: v for k, v in changes.items() if v is not None}
    )
    if rating.score != old_score:
        _apply_deltas(rating.movie_id, added=[rating.score], removed=[old_score])
    send_movies_rated(user_id=rating.user_id, movie_ids=[rating.movie_id])
    invalidate_movies_on_commit([rating.movie_id])


def _locked_rating(**lookup: Any) -> Rating | None:
    return Rating.objects.select_for_update().filter(**lookup).order_by().first()


@transaction.atomic
def rating_create(
    *, user: User, movie: Movie, score: Decimal, review: str = ""
) -> Rating:
    """Create ``user``'s rating of ``movie``; a second rating is a ValidationError."""
    score = clean_score(score)
    review = clean_review(review)
    try:
        _lock_rater_and_movie(user_id=user.pk, movie_id=movie.pk)
    except Movie.DoesNotExist as exc:
        raise ValidationError({"movie": ["This movie no longer exists."]}) from exc
    return _insert(user=user, movie_id=movie.pk, score=score, review=review)


@transaction.atomic
def rating_update(
    *, rating: Rating, score: Decimal | None = None, review: str | None = None
) -> Rating:
    """Change a rating's score and/or review (None keeps the current value).

    Raise ``Rating.DoesNotExist`` if the rating was deleted meanwhile.
    """
    new_score = None if score is None else clean_score(score)
    new_review = None if review is None else clean_review(review)
    if new_score is None and new_review is None:
        return rating  # Nothing to change: updated_at stays as it is.
    # Lock the rating so that two concurrent edits apply their deltas in turn.
    current = _locked_rating(pk=rating.pk)
    if current is None:
        raise Rating.DoesNotExist("This rating no longer exists.")
    _change(current, score=new_score, review=new_review)
    rating.__dict__.update(
        {k: getattr(current, k) for k in ("score", "review", "updated_at")}
    )
    return rating


@transaction.atomic
def rating_upsert(
    *, user: User, movie_id: int, score: Decimal, review: str | None = None
) -> tuple[Rating, bool]:
    """Rate a movie or change the existing rating; return (rating, created).

    An omitted review (None) keeps the existing one; ``""`` clears it. Raise
    ``Movie.DoesNotExist`` for an unknown movie. The rater's lock keeps any
    other write from creating this rating meanwhile, and the rating's own lock
    orders this change with a concurrent edit or deletion of it.
    """
    score = clean_score(score)
    review = None if review is None else clean_review(review)
    _lock_rater_and_movie(user_id=user.pk, movie_id=movie_id)
    existing = _locked_rating(user_id=user.pk, movie_id=movie_id)
    if existing is None:
        return _insert(
            user=user, movie_id=movie_id, score=score, review=review or ""
        ), True
    existing.user = user
    _change(existing, score=score, review=review)
    return existing, False


@transaction.atomic
def rating_delete(*, rating: Rating) -> None:
    """Delete a rating and take it out of its movie's aggregates."""
    deleted = (
        Rating.objects.select_for_update()
        .filter(pk=rating.pk)
        .values("movie_id", "score")
        .first()
    )
    if deleted is None:
        return  # Already deleted concurrently: its delta was applied then.
    Rating.objects.filter(pk=rating.pk).delete()
    _apply_deltas(deleted["movie_id"], added=[], removed=[deleted["score"]])
    invalidate_movies_on_commit([deleted["movie_id"]])


@dataclass(frozen=True)
class RatingImport:
    """One film's rating brought from elsewhere (a history file)."""

    movie_id: int
    score: Decimal
    # None keeps the review of an existing rating ("" clears it).
    review: str | None = None
    # When it was rated there; a new rating's ``created_at`` (now if None).
    created_at: datetime | None = None


# What ratings_import writes of a new rating (row values, not instances: an
# import creates thousands, and keeps their original dates, which
# ``bulk_create`` would overwrite with ``auto_now_add``).
_IMPORTED_FIELDS = ["user", "movie", "score", "review", "created_at", "updated_at"]


@dataclass(frozen=True)
class RatingsImported:
    """How many of the user's ratings an import created, changed, left alone."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _lock_rater_and_movies(*, user_id: int, movie_ids: list[int]) -> None:
    """Lock the rater and many movies as ``_lock_rater_and_movie`` locks one.

    Movies are locked in id order, the order every bulk write takes them in,
    so that two imports touching the same films cannot deadlock.
    """
    quote = connection.ops.quote_name
    postgresql = connection.vendor == "postgresql"
    # Table and column names come from model metadata, values are parameters.
    user_sql = (
        f"SELECT 1 FROM {quote(User._meta.db_table)}"  # noqa: S608
        f" WHERE {quote(str(User._meta.pk.column))} = %s"
        f"{' FOR NO KEY UPDATE' if postgresql else ''}"
    )
    movie_pk = quote(str(Movie._meta.pk.column))
    found: set[int] = set()
    with connection.cursor() as cursor:
        cursor.execute(user_sql, [user_id])
        if cursor.fetchone() is None:
            raise PermissionDenied("This account no longer exists.")
        for start in range(0, len(movie_ids), 500):
            chunk = movie_ids[start : start + 500]
            cursor.execute(
                f"SELECT {movie_pk} FROM {quote(Movie._meta.db_table)}"  # noqa: S608
                f" WHERE {movie_pk} IN ({', '.join(['%s'] * len(chunk))})"
                f" ORDER BY {movie_pk}{' FOR KEY SHARE' if postgresql else ''}",
                chunk,
            )
            found.update(pk for (pk,) in cursor.fetchall())
    if len(found) != len(movie_ids):
        raise Movie.DoesNotExist("A movie to rate no longer exists.")


def _ratings_rewrite(
    rows: Sequence[tuple[int, Decimal, str]], *, updated_at: datetime
) -> None:
    """Write new ``(pk, score, review)`` of locked ratings, one statement each."""
    if not rows:
        return
    db = transaction.get_connection()
    quote = db.ops.quote_name
    field = {f.name: f for f in Rating._meta.concrete_fields}
    columns = [quote(str(field[name].column)) for name in ("score", "review")]
    # Table and column names come from model metadata, values are parameters.
    sql = (
        f"UPDATE {quote(Rating._meta.db_table)}"  # noqa: S608
        f" SET {columns[0]} = %s, {columns[1]} = %s,"
        f" {quote(str(field['updated_at'].column))} = %s"
        f" WHERE {quote(str(field['id'].column))} = %s"
    )
    now = field["updated_at"].get_db_prep_save(updated_at, db)
    score_field = field["score"]
    with db.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                [score_field.get_db_prep_save(score, db), review, now, pk]
                for pk, score, review in rows
            ],
        )


@transaction.atomic
def ratings_import(*, user: User, items: Sequence[RatingImport]) -> RatingsImported:
    """Rate many films at once, each as ``rating_upsert`` would; return counts.

    One item per film. A rating whose score and review already are the
    item's is left alone (``unchanged``), so importing the same history twice
    changes nothing. Each touched film's aggregates get one update for all its
    changes, and the cache is invalidated once, when the transaction commits.
    The films rated or re-rated are announced once (``movies_rated``: they
    leave the rater's watchlist). Raise ``Movie.DoesNotExist`` if a film was
    deleted meanwhile.
    """
    wanted: dict[int, RatingImport] = {}
    for item in items:
        if item.movie_id in wanted:
            raise ValueError(f"Movie {item.movie_id} is imported twice.")
        wanted[item.movie_id] = RatingImport(
            movie_id=item.movie_id,
            score=clean_score(item.score),
            review=None if item.review is None else clean_review(item.review),
            created_at=item.created_at,
        )
    movie_ids = sorted(wanted)
    _lock_rater_and_movies(user_id=user.pk, movie_ids=movie_ids)
    existing: dict[int, tuple[int, Decimal, str]] = {}
    for start in range(0, len(movie_ids), 500):
        for pk, movie_id, score, review in (
            Rating.objects.select_for_update()
            .filter(user_id=user.pk, movie_id__in=movie_ids[start : start + 500])
            .order_by("pk")
            .values_list("pk", "movie_id", "score", "review")
        ):
            existing[movie_id] = (pk, score, review)
    now = timezone.now()
    new: list[tuple[int, int, Decimal, str, datetime, datetime]] = []
    changed: list[tuple[int, Decimal, str]] = []
    touched: list[int] = []
    added: dict[int, list[Decimal]] = {}
    removed: dict[int, list[Decimal]] = {}
    for movie_id, item in wanted.items():
        if movie_id not in existing:
            created_at = item.created_at or now
            new.append(
                (user.pk, movie_id, item.score, item.review or "", created_at, now)
            )
            added[movie_id] = [item.score]
            touched.append(movie_id)
            continue
        pk, score, review = existing[movie_id]
        new_review = review if item.review is None else item.review
        if (score, review) == (item.score, new_review):
            continue
        changed.append((pk, item.score, new_review))
        touched.append(movie_id)
        if score != item.score:
            added[movie_id], removed[movie_id] = [item.score], [score]
    # The rater's lock keeps other writers from creating these ratings.
    insert_rows(Rating, _IMPORTED_FIELDS, new, batch_size=1000)
    _ratings_rewrite(changed, updated_at=now)
    _apply_many_deltas(
        {movie_id: (added[movie_id], removed.get(movie_id, [])) for movie_id in added}
    )
    if touched:
        send_movies_rated(user_id=user.pk, movie_ids=touched)
        invalidate_movies_on_commit(touched)
    return RatingsImported(
        created=len(new),
        updated=len(changed),
        unchanged=len(wanted) - len(new) - len(changed),
    )


def _delete_locked(rows: Sequence[tuple[int, int, Decimal]]) -> int:
    """Delete locked ``(pk, movie_id, score)`` rows and update their movies."""
    removed: dict[int, list[Decimal]] = defaultdict(list)
    for _pk, movie_id, score in rows:
        removed[movie_id].append(score)
    pks = [pk for pk, _movie_id, _score in rows]
    for start in range(0, len(pks), 500):
        Rating.objects.filter(pk__in=pks[start : start + 500]).delete()
    for movie_id in sorted(removed):  # A fixed lock order avoids deadlocks.
        _apply_deltas(movie_id, added=[], removed=removed[movie_id])
    invalidate_movies_on_commit(removed)
    return len(rows)


@transaction.atomic
def ratings_delete(*, ratings: QuerySet[Rating]) -> int:
    """Delete these ratings, updating each affected movie; return how many."""
    rows = list(
        Rating.objects.select_for_update()
        .filter(pk__in=ratings.values("pk"))
        .order_by("pk")
        .values_list("pk", "movie_id", "score")
    )
    return _delete_locked(rows)


@transaction.atomic
def ratings_delete_for_user(*, user: User) -> int:
    """Delete all of ``user``'s ratings, updating each movie; return how many.

    The user row is locked first, so a rating being written concurrently by
    this user (which locks the user row too, see ``_lock_rater_and_movie``)
    either commits before and is deleted here, or waits and then fails.
    """
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
    rows = list(
        Rating.objects.select_for_update()
        .filter(user_id=user.pk)
        .order_by("pk")
        .values_list("pk", "movie_id", "score")
    )
    return _delete_locked(rows)


def _aggregates_from_ratings(movie_ids: list[int] | None) -> dict[int, dict[str, Any]]:
    """Return the aggregates the ratings table implies, per movie id."""
    ratings = Rating.objects.all()
    if movie_ids is not None:
        ratings = ratings.filter(movie_id__in=movie_ids)
    rows = ratings.values("movie_id").annotate(
        count=Count("id"),
        total=Sum("score"),
        **{
            distribution_field(score): Count("id", filter=Q(score=score))
            for score in SCORES
        },
    )
    result = {}
    for values in rows:
        row: dict[str, Any] = dict(values)
        movie_id = row.pop("movie_id")
        count, total = row.pop("count"), Decimal(row.pop("total") or 0)
        result[movie_id] = {
            "rating_count": count,
            "rating_sum": total,
            "rating_average": float(total) / count if count else None,
            **row,
        }
    return result


_AGGREGATE_FIELDS = [
    "rating_count",
    "rating_sum",
    "rating_average",
    *(distribution_field(score) for score in SCORES),
]


def _empty_aggregates() -> dict[str, Any]:
    return {
        "rating_count": 0,
        "rating_sum": Decimal(0),
        "rating_average": None,
        **{distribution_field(score): 0 for score in SCORES},
    }


def _differs(movie: Movie, values: dict[str, Any]) -> bool:
    for field in _AGGREGATE_FIELDS:
        stored, expected = getattr(movie, field), values[field]
        if field == "rating_average":
            if (stored is None) != (expected is None) or (
                stored is not None and abs(stored - expected) > 1e-9
            ):
                return True
        elif Decimal(stored) != Decimal(expected):
            return True
    return False


def _aggregates_save(movies: list[Movie]) -> None:
    """Write the aggregates set on ``movies``, one parametrised UPDATE per row.

    ``bulk_update`` builds a CASE expression per field and row in Python, which
    takes minutes for the tens of thousands of movies of a data import.
    """
    if not movies:
        return
    db = transaction.get_connection()
    quote = db.ops.quote_name
    fields = [f for f in Movie._meta.concrete_fields if f.name in _AGGREGATE_FIELDS]
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


def movie_aggregates_rebuild(
    *, movies: QuerySet[Movie] | None = None, batch_size: int = 2000
) -> list[int]:
    """Rebuild stored aggregates from the ratings table; return corrected ids.

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
                .only("pk", *_AGGREGATE_FIELDS)
                .order_by("pk")
            )
            expected = _aggregates_from_ratings(ids)
            stale = []
            for movie in locked:
                values = expected.get(movie.pk) or _empty_aggregates()
                if _differs(movie, values):
                    for field, value in values.items():
                        setattr(movie, field, value)
                    stale.append(movie)
            _aggregates_save(stale)
            corrected += [movie.pk for movie in stale]
            invalidate_movies_on_commit(m.pk for m in stale)
    if corrected:
        logger.info("Rebuilt rating aggregates of %d movies", len(corrected))
    return corrected
