"""Writes on ratings, each keeping its movie's stored aggregates exact.

Every rating write changes the movie's aggregates in the same transaction with
one ``UPDATE ... SET rating_count = rating_count + 1, ...``: the database
applies the change to the row's current values under its row lock, so
concurrent writers never lose an update. ``movie_aggregates_rebuild`` derives
the same values from the ratings table and is the proof of the bookkeeping.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, FloatField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Cast

from movies.cache import invalidate_movies
from movies.models import SCORES, Movie, distribution_field
from ratings.models import Rating
from users.models import User

logger = logging.getLogger(__name__)

_UNSET: Any = object()


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
    value = Decimal(str(score))
    if value not in SCORES:
        raise ValidationError({"score": ["Score must be 0.5 to 5.0 in steps of 0.5."]})
    return value


@transaction.atomic
def rating_create(
    *, user: User, movie: Movie, score: Decimal, review: str = ""
) -> Rating:
    """Create ``user``'s rating of ``movie``; a second rating is a ValidationError."""
    score = _normalise_score(score)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                user=user, movie=movie, score=score, review=review
            )
    except IntegrityError as exc:
        if Rating.objects.filter(user=user, movie=movie).exists():
            raise ValidationError(
                {"movie": ["You have already rated this movie."]}, code="unique"
            ) from exc
        raise
    _apply_deltas(movie.pk, added=[score], removed=[])
    _on_commit_invalidate([movie.pk])
    return rating


@transaction.atomic
def rating_update(
    *, rating: Rating, score: Decimal | None = None, review: str | None = None
) -> Rating:
    """Change a rating's score and/or review (None keeps the current value)."""
    # Lock the rating so that two concurrent edits apply their deltas in turn.
    current = Rating.objects.select_for_update().get(pk=rating.pk)
    old_score = current.score
    if score is not None:
        current.score = _normalise_score(score)
    if review is not None:
        current.review = review
    current.save(update_fields=["score", "review", "updated_at"])
    if current.score != old_score:
        _apply_deltas(current.movie_id, added=[current.score], removed=[old_score])
    _on_commit_invalidate([current.movie_id])
    rating.__dict__.update(
        {k: getattr(current, k) for k in ("score", "review", "updated_at")}
    )
    return rating


def rating_upsert(
    *, user: User, movie: Movie, score: Decimal, review: str | None = None
) -> tuple[Rating, bool]:
    """Rate ``movie`` or change the existing rating; return (rating, created).

    An omitted review (None) keeps the existing one; ``""`` clears it. Two
    concurrent first ratings by the same user meet the unique constraint: the
    loser retries as an update.
    """
    for _attempt in range(3):
        existing = Rating.objects.filter(user=user, movie=movie).first()
        if existing is not None:
            return rating_update(rating=existing, score=score, review=review), False
        try:
            return rating_create(
                user=user, movie=movie, score=score, review=review or ""
            ), True
        except ValidationError as exc:
            if "movie" not in getattr(exc, "error_dict", {}):
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


@transaction.atomic
def ratings_delete_for_user(*, user: User) -> int:
    """Delete all of ``user``'s ratings, updating each movie; return how many."""
    rows = list(
        Rating.objects.select_for_update()
        .filter(user=user)
        .values_list("movie_id", "score")
    )
    removed: dict[int, list[Decimal]] = defaultdict(list)
    for movie_id, score in rows:
        removed[movie_id].append(score)
    Rating.objects.filter(user=user).delete()
    for movie_id in sorted(removed):  # A fixed lock order avoids deadlocks.
        _apply_deltas(movie_id, added=[], removed=removed[movie_id])
    _on_commit_invalidate(removed)
    return len(rows)


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
            Movie.objects.bulk_update(stale, _AGGREGATE_FIELDS, batch_size=500)
            corrected += [movie.pk for movie in stale]
            _on_commit_invalidate(m.pk for m in stale)
    if corrected:
        logger.info("Rebuilt rating aggregates of %d movies", len(corrected))
    return corrected
