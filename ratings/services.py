"""Writes on ratings, each keeping its movie's stored aggregates exact.

Every rating write changes the movie's aggregates in the same transaction
through ``movies.aggregates`` (one race-safe UPDATE per movie, which also
forgets the movie's cached data once the transaction commits); its
``rebuild`` derives the same values from the ratings and is the proof of the
bookkeeping. Each user's stored ``ratings_count`` is kept the same way, under
the user's row lock (``_count_ratings``), and ``user_ratings_count_rebuild``
recounts it. Every rating created or changed is announced with
``ratings.events.movies_rated`` in its transaction, for the apps built on
ratings (the watchlist), and every rating written forgets what is cached for
its rater and of its movie once it commits (``_ratings_changed``). A movie's
deletion takes its ratings with it and bumps the catalogue's version, which
every cached response depends on.
"""

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone

from movieratings.constraints import constraint_errors
from movieratings.services import model_update
from movies.aggregates import apply_many_rating_deltas, apply_rating_deltas
from movies.models import Movie
from movies.signals import catalogue_changed
from ratings.events import send_movies_rated
from ratings.loading.bulkload import insert_rows
from ratings.models import Rating, clean_review, clean_score
from users.models import User
from users.versions import user_data_changed

logger = logging.getLogger(__name__)


def _count_ratings(user_id: int, delta: int) -> None:
    """Add ``delta`` to a user's stored ratings count.

    Every caller holds the user's row lock, taken before the user's ratings
    and movies (``_lock_rater_and_movie``, ``_lock_raters``), and ``F()`` adds
    to the row's current value.
    """
    if delta:
        User.objects.filter(pk=user_id).update(ratings_count=F("ratings_count") + delta)


def _ratings_changed(*, user_ids: Iterable[int]) -> None:
    """Announce ratings written by these users, in the write's transaction: what
    is cached for the raters (``users.versions``) goes once it commits.

    The aggregate updates announce the movies whose aggregates change; a
    change of review alone announces its movie (its ratings page shows it).
    """
    user_data_changed(user_ids)


def _lock_raters(user_ids: Iterable[int]) -> set[int]:
    """Lock these users as ``_lock_rater_and_movie`` locks one; return who exists.

    Users are locked in id order, so that two writers locking several of them
    cannot deadlock.
    """
    ids = sorted(set(user_ids))
    locked: set[int] = set()
    for start in range(0, len(ids), 500):
        locked.update(
            User.objects.select_for_update(no_key=True)
            .filter(pk__in=ids[start : start + 500])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return locked


def user_ratings_count_rebuild(
    *, users: QuerySet[User] | None = None, batch_size: int = 2000
) -> list[int]:
    """Recount stored ratings counts from the ratings table; return corrected ids.

    Users are locked batch by batch, as a rating write locks its rater, so
    that concurrent writes wait and then count on top of the rebuilt values.
    """
    queryset = (users if users is not None else User.objects.all()).order_by("pk")
    all_ids = list(queryset.values_list("pk", flat=True))
    corrected: list[int] = []
    for start in range(0, len(all_ids), batch_size):
        ids = all_ids[start : start + batch_size]
        with transaction.atomic():
            stored = (
                User.objects.select_for_update(no_key=True)
                .filter(pk__in=ids)
                .order_by("pk")
                .values_list("pk", "ratings_count")
            )
            counted = dict(
                Rating.objects.filter(user_id__in=ids)
                .order_by()
                .values("user_id")
                .annotate(count=Count("id"))
                .values_list("user_id", "count")
            )
            stale = [
                User(pk=pk, ratings_count=counted.get(pk, 0))
                for pk, count in stored
                if count != counted.get(pk, 0)
            ]
            User.objects.bulk_update(stale, ["ratings_count"])
            corrected += [user.pk for user in stale]
    if corrected:
        logger.info("Recounted the ratings of %d users", len(corrected))
    return corrected


def _lock_rater_and_movie(*, user_id: int, movie_id: int) -> int:
    """Lock the rater and the movie of a rating about to be created or changed.

    One statement locks both rows. The user row is locked ``FOR NO KEY
    UPDATE``: every write that may create or delete a rating takes this lock
    first, so a user's rating writes run one at a time, "has this user rated
    this movie?" keeps its answer and the user's stored ratings count stays
    what it is until the transaction ends; it also orders the
    write after a concurrent deletion of the user (``ratings_delete_for_user``
    locks the user row first) instead of deadlocking at commit. The movie row
    is locked ``FOR KEY SHARE``, the lock PostgreSQL's check of the rating's
    foreign key takes at commit anyway, so a movie deleted meanwhile is
    reported here rather than as an IntegrityError.

    Return the rater's stored ratings count, which the lock keeps as it is
    until the transaction ends. Raise PermissionDenied if the user is gone,
    ``Movie.DoesNotExist`` if the movie is.
    """
    postgresql = connection.vendor == "postgresql"
    quote = connection.ops.quote_name
    ratings_count = quote(str(User._meta.get_field("ratings_count").column))
    # Table and column names come from model metadata, values are parameters.
    user_row, movie_row = (
        f"(SELECT {value} FROM {quote(model._meta.db_table)}"  # noqa: S608
        f" WHERE {quote(str(model._meta.pk.column))} = %s{lock if postgresql else ''})"
        for model, value, lock in (
            (User, ratings_count, " FOR NO KEY UPDATE"),
            (Movie, "1", " FOR KEY SHARE"),
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {user_row}, {movie_row}", [user_id, movie_id])
        counted, movie_exists = cursor.fetchone()
    if counted is None:
        raise PermissionDenied("This account no longer exists.")
    if movie_exists is None:
        raise Movie.DoesNotExist("This movie does not exist.")
    return int(counted)


def _insert(*, user: User, movie_id: int, score: Decimal, review: str) -> Rating:
    """Insert a rating under the rater's lock; a second one is a ValidationError.

    The database checks that it is the user's first rating of the movie
    (``ratings_rating_one_per_user_and_movie``): the rater's lock keeps the
    answer from changing until the transaction ends. ``user.ratings_count`` is
    the count the caller read under that lock.
    """
    with constraint_errors(Rating):
        rating = Rating.objects.create(
            user=user, movie_id=movie_id, score=score, review=review
        )
    apply_rating_deltas(movie_id=movie_id, added=[score])
    send_movies_rated(user_id=user.pk, movie_ids=[movie_id])
    _ratings_changed(user_ids=[user.pk])
    _count_ratings(user.pk, 1)
    user.ratings_count += 1
    return rating


def _change(rating: Rating, *, score: Decimal | None, review: str | None) -> None:
    """Write a new score and/or review (None keeps it) of a locked ``rating``."""
    old_score = rating.score
    changes = {"score": score, "review": review}
    model_update(
        instance=rating, data={k: v for k, v in changes.items() if v is not None}
    )
    if rating.score != old_score:
        apply_rating_deltas(
            movie_id=rating.movie_id, added=[rating.score], removed=[old_score]
        )
    else:
        catalogue_changed([rating.movie_id])  # The review shows on its page.
    send_movies_rated(user_id=rating.user_id, movie_ids=[rating.movie_id])
    _ratings_changed(user_ids=[rating.user_id])


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
        user.ratings_count = _lock_rater_and_movie(user_id=user.pk, movie_id=movie.pk)
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
    user.ratings_count = _lock_rater_and_movie(user_id=user.pk, movie_id=movie_id)
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
    """Delete a rating and take it out of its movie's aggregates and its rater's count.

    The rater is locked first, as by every write of their ratings.
    """
    if not _lock_raters([rating.user_id]):
        return  # The rater was deleted meanwhile, and their ratings with them.
    deleted = (
        Rating.objects.select_for_update()
        .filter(pk=rating.pk)
        .values("movie_id", "score")
        .first()
    )
    if deleted is None:
        return  # Already deleted concurrently: its delta was applied then.
    _count_ratings(rating.user_id, -1)
    Rating.objects.filter(pk=rating.pk).delete()
    apply_rating_deltas(movie_id=deleted["movie_id"], removed=[deleted["score"]])
    _ratings_changed(user_ids=[rating.user_id])


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


def _lock_rater_and_movies(*, user_id: int, movie_ids: list[int]) -> int:
    """Lock the rater and many movies as ``_lock_rater_and_movie`` locks one.

    Movies are locked in id order, the order every bulk write takes them in,
    so that two imports touching the same films cannot deadlock. Return the
    rater's stored ratings count.
    """
    quote = connection.ops.quote_name
    postgresql = connection.vendor == "postgresql"
    ratings_count = quote(str(User._meta.get_field("ratings_count").column))
    # Table and column names come from model metadata, values are parameters.
    user_sql = (
        f"SELECT {ratings_count} FROM {quote(User._meta.db_table)}"  # noqa: S608
        f" WHERE {quote(str(User._meta.pk.column))} = %s"
        f"{' FOR NO KEY UPDATE' if postgresql else ''}"
    )
    movie_pk = quote(str(Movie._meta.pk.column))
    found: set[int] = set()
    with connection.cursor() as cursor:
        cursor.execute(user_sql, [user_id])
        rater = cursor.fetchone()
        if rater is None:
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
    return int(rater[0])


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
    user.ratings_count = _lock_rater_and_movies(user_id=user.pk, movie_ids=movie_ids)
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
    _count_ratings(user.pk, len(new))
    user.ratings_count += len(new)
    _ratings_rewrite(changed, updated_at=now)
    apply_many_rating_deltas(
        {movie_id: (added[movie_id], removed.get(movie_id, [])) for movie_id in added}
    )
    if touched:
        send_movies_rated(user_id=user.pk, movie_ids=touched)
        _ratings_changed(user_ids=[user.pk])
    if set(touched) - set(added):
        catalogue_changed(sorted(set(touched) - set(added)))  # Reviews alone.
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
        apply_rating_deltas(movie_id=movie_id, removed=removed[movie_id])
    return len(rows)


@transaction.atomic
def ratings_delete(*, ratings: QuerySet[Rating]) -> int:
    """Delete these ratings, updating each affected movie and rater; return how many.

    Their raters are locked first, as by every write of their ratings; a
    rating whose rater was not locked (created meanwhile) is left alone.
    """
    raters = _lock_raters(ratings.order_by().values_list("user_id", flat=True))
    rows = [
        row
        for row in Rating.objects.select_for_update()
        .filter(pk__in=ratings.values("pk"))
        .order_by("pk")
        .values_list("pk", "movie_id", "score", "user_id")
        if row[3] in raters
    ]
    for user_id, count in sorted(Counter(row[3] for row in rows).items()):
        _count_ratings(user_id, -count)
    _ratings_changed(user_ids={row[3] for row in rows})
    return _delete_locked([row[:3] for row in rows])


def ratings_uncount_for_movie(*, movie: Movie) -> None:
    """Take a movie's ratings out of their raters' counts, as the movie goes.

    For a movie about to be deleted: its ratings go with it (CASCADE), which
    skips the services. ``movie_delete`` locks the raters, then the movie, so
    that no rating of it comes or goes meanwhile.
    """
    raters = Rating.objects.filter(movie_id=movie.pk).values("user_id")
    User.objects.filter(pk__in=raters).update(ratings_count=F("ratings_count") - 1)


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
    _count_ratings(user.pk, -len(rows))
    _ratings_changed(user_ids=[user.pk])
    return _delete_locked(rows)
