"""Writes on ratings, each keeping its movie's stored aggregates exact.

Every rating write changes the movie's aggregates in the same transaction with
one ``UPDATE ... SET rating_count = rating_count + 1, ...``: the database
applies the change to the row's current values under its row lock, so
concurrent writers never lose an update. ``movie_aggregates_rebuild`` derives
the same values from the ratings table and is the proof of the bookkeeping.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, F, FloatField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Cast

from movies.cache import invalidate_movies
from movies.models import SCORES, Movie, distribution_field
from ratings.models import REVIEW_MAX_LENGTH, Rating
from users.models import User

logger = logging.getLogger(__name__)

_DUPLICATE = "unique"


def _aggregate_changes(
    *, count: int, total: Decimal, per_score: dict[Decimal, int]
) -> dict[str, Any]:
    """Return the UPDATE expressions that add these deltas to a movie's row."""
    new_count = F("rating_count") + count
    new_sum = F("rating_sum") + total
    changes: dict[str, Any] = {
        "rating_count": new_count,
        "rating_sum": new_sum,
        # Evaluated on the row's old values, like every expression in one UPDATE.
        "rating_average": Case(
            When(
                Q(rating_count__gt=-count),
                then=Cast(new_sum, FloatField()) / Cast(new_count, FloatField()),
            ),
            default=Value(None),
            output_field=FloatField(),
        ),
    }
    for score, delta in per_score.items():
        if delta:
            field = distribution_field(score)
            changes[field] = F(field) + delta
    return changes


def _apply_deltas(
    movie_id: int, *, added: Iterable[Decimal], removed: Iterable[Decimal]
) -> None:
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
    Movie.objects.filter(pk=movie_id).update(
        **_aggregate_changes(count=count, total=total, per_score=per_score)
    )


def _on_commit_invalidate(movie_ids: Iterable[int]) -> None:
    ids = sorted(set(movie_ids))
    transaction.on_commit(lambda: invalidate_movies(ids))


def _normalise_score(score: Any) -> Decimal:
    try:
        value = Decimal(str(score))
        valid = not isinstance(score, bool) and value.is_finite() and value in SCORES
    except (InvalidOperation, ValueError, TypeError):
        valid = False
    if not valid:
        raise ValidationError({"score": ["Score must be 0.5 to 5.0 in steps of 0.5."]})
    return value


def _clean_review(review: str) -> str:
    if len(review) > REVIEW_MAX_LENGTH:
        raise ValidationError(
            {"review": [f"At most {REVIEW_MAX_LENGTH} characters, please."]}
        )
    if "\x00" in review:
        raise ValidationError({"review": ["Null characters are not allowed."]})
    return review


def _lock_rater_and_movie(*, user_id: int, movie_id: int) -> None:
    """Keep the user and the movie from being deleted until this write commits.

    PostgreSQL checks the (deferred) foreign keys of a new rating at commit by
    taking ``FOR KEY SHARE`` on both rows. Taking that lock first orders the
    write after a concurrent deletion of its user (``ratings_delete_for_user``
    locks the user row, then the movies) instead of deadlocking at commit, and
    a row deleted meanwhile is reported here rather than as an IntegrityError.
    """
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    quote = connection.ops.quote_name
    # Table and column names come from model metadata, values are parameters.
    user_row, movie_row = (
        f"(SELECT 1 FROM {quote(model._meta.db_table)}"  # noqa: S608
        f" WHERE {quote(str(model._meta.pk.column))} = %s{lock})"
        for model in (User, Movie)
    )
    sql = f"SELECT {user_row}, {movie_row}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, movie_id])
        user_exists, movie_exists = cursor.fetchone()
    if user_exists is None:
        raise PermissionDenied("This account no longer exists.")
    if movie_exists is None:
        raise ValidationError({"movie": ["This movie no longer exists."]})


def _lock_user(*, user_id: int) -> None:
    """Serialise this user's upserts; the account must still exist."""
    locked = (
        User.objects.select_for_update(no_key=True)
        .filter(pk=user_id)
        .values_list("pk", flat=True)
        .first()
    )
    if locked is None:
        raise PermissionDenied("This account no longer exists.")


def _is_duplicate(exc: ValidationError) -> bool:
    errors = getattr(exc, "error_dict", {}).get("movie", [])
    return any(error.code == _DUPLICATE for error in errors)


@transaction.atomic
def rating_create(
    *, user: User, movie: Movie, score: Decimal, review: str = ""
) -> Rating:
    """Create ``user``'s rating of ``movie``; a second rating is a ValidationError."""
    score = _normalise_score(score)
    review = _clean_review(review)
    _lock_rater_and_movie(user_id=user.pk, movie_id=movie.pk)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                user=user, movie=movie, score=score, review=review
            )
    except IntegrityError as exc:
        # Score, review, user and movie are checked above, so the one
        # constraint left to fail is one-rating-per-user-and-movie: a rating
        # committed concurrently (even if it has been deleted again since).
        raise ValidationError(
            {
                "movie": ValidationError(
                    "You have already rated this movie.", code=_DUPLICATE
                )
            }
        ) from exc
    _apply_deltas(movie.pk, added=[score], removed=[])
    _on_commit_invalidate([movie.pk])
    return rating


@transaction.atomic
def rating_update(
    *, rating: Rating, score: Decimal | None = None, review: str | None = None
) -> Rating:
    """Change a rating's score and/or review (None keeps the current value).

    Raise ``Rating.DoesNotExist`` if the rating was deleted meanwhile.
    """
    new_score = None if score is None else _normalise_score(score)
    new_review = None if review is None else _clean_review(review)
    if new_score is None and new_review is None:
        return rating  # Nothing to change: updated_at stays as it is.
    # Lock the rating so that two concurrent edits apply their deltas in turn.
    current = Rating.objects.select_for_update().get(pk=rating.pk)
    old_score = current.score
    if new_score is not None:
        current.score = new_score
    if new_review is not None:
        current.review = new_review
    current.save(update_fields=["score", "review", "updated_at"])
    if current.score != old_score:
        _apply_deltas(current.movie_id, added=[current.score], removed=[old_score])
    _on_commit_invalidate([current.movie_id])
    rating.__dict__.update(
        {k: getattr(current, k) for k in ("score", "review", "updated_at")}
    )
    return rating


@transaction.atomic
def rating_upsert(
    *, user: User, movie: Movie, score: Decimal, review: str | None = None
) -> tuple[Rating, bool]:
    """Rate ``movie`` or change the existing rating; return (rating, created).

    An omitted review (None) keeps the existing one; ``""`` clears it.
    Concurrent upserts by one user are serialised by a lock on the user row, so
    two first ratings cannot both create. A concurrent ``rating_create`` or
    ``rating_delete`` of the same rating is absorbed by retrying: each statement
    sees the rows committed meanwhile (READ COMMITTED).
    """
    _lock_user(user_id=user.pk)
    for _attempt in range(3):
        existing = Rating.objects.filter(user=user, movie=movie).first()
        if existing is not None:
            try:
                return rating_update(rating=existing, score=score, review=review), False
            except Rating.DoesNotExist:
                continue  # Deleted meanwhile: create it afresh.
        try:
            return rating_create(
                user=user, movie=movie, score=score, review=review or ""
            ), True
        except ValidationError as exc:
            if not _is_duplicate(exc):
                raise
            # Lost the race for the first rating: loop to update the winner's row.
    raise ValidationError("Could not save the rating, please retry.")


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
    _on_commit_invalidate([deleted["movie_id"]])


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
    _on_commit_invalidate(removed)
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
    this user (which takes a share lock on it, see ``_lock_rater_and_movie``)
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
            _on_commit_invalidate(m.pk for m in stale)
    if corrected:
        logger.info("Rebuilt rating aggregates of %d movies", len(corrected))
    return corrected
