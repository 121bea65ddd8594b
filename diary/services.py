"""Writes on diaries: log a viewing, change it, remove it, add many from an import.

A score logged with a new entry also becomes the viewer's rating of the film,
through ``ratings.services.rating_upsert`` (the one place that keeps a movie's
aggregates exact). Changing or removing an entry leaves the rating as it is:
an entry is what the viewer thought that day, the rating what they think now.
Each write forgets what is cached for the diary's owner once it commits
(``users.versions``).
"""

import enum
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from diary.models import DiaryEntry, latest_watch_date
from movieratings.constraints import constraint_errors
from movieratings.services import model_update
from movies.models import Movie
from ratings.models import clean_review, clean_score
from ratings.services import rating_upsert
from users.models import User
from users.versions import user_data_changed

# Rows per statement: well under SQLite's limit of bound parameters.
_BATCH = 500


class Keep(enum.Enum):
    """The value of an argument that leaves its field as it is."""

    KEEP = enum.auto()


KEEP = Keep.KEEP

DiaryRow = tuple[Movie, date, Decimal | None, str]


def _check_watched_on(watched_on: date) -> None:
    if watched_on > latest_watch_date():
        raise ValidationError({"watched_on": ["A viewing cannot be in the future."]})


@transaction.atomic
def diary_entry_create(
    *,
    user: User,
    movie: Movie,
    watched_on: date,
    score: Decimal | None = None,
    review: str | None = None,
) -> DiaryEntry:
    """Log that ``user`` watched ``movie`` on ``watched_on``.

    A ``score`` also rates the film (with ``review``; None keeps the rating's
    review), exactly as ``PUT movies/{id}/rating/`` would. The same film on
    the same day twice is a ValidationError and writes nothing.
    """
    _check_watched_on(watched_on)
    score = None if score is None else clean_score(score)
    review = None if review is None else clean_review(review)
    if score is not None:
        # Locks the rater first, so this user's writes run one at a time.
        rating_upsert(user=user, movie_id=movie.pk, score=score, review=review)
    # The database keeps one entry per user, film and day.
    user_data_changed([user.pk])
    with constraint_errors(DiaryEntry):
        return DiaryEntry.objects.create(
            user=user,
            movie=movie,
            watched_on=watched_on,
            score=score,
            review=review or "",
        )


@transaction.atomic
def diary_entry_update(
    *,
    entry: DiaryEntry,
    watched_on: date | Keep = KEEP,
    score: Decimal | Keep | None = KEEP,
    review: str | Keep = KEEP,
) -> DiaryEntry:
    """Change an entry's day, score (None clears it) or review; the rating stays.

    Raise ``DiaryEntry.DoesNotExist`` if the entry was deleted meanwhile.
    """
    changes: dict[str, object] = {}
    if not isinstance(watched_on, Keep):
        _check_watched_on(watched_on)
        changes["watched_on"] = watched_on
    if not isinstance(score, Keep):
        changes["score"] = None if score is None else clean_score(score)
    if not isinstance(review, Keep):
        changes["review"] = clean_review(review)
    user_data_changed([entry.user_id])
    return model_update(instance=entry, data=changes)


@transaction.atomic
def diary_entry_delete(*, entry: DiaryEntry) -> None:
    """Remove a diary entry; the rating of its film stays as it is."""
    DiaryEntry.objects.filter(pk=entry.pk).delete()
    user_data_changed([entry.user_id])


@transaction.atomic
def diary_entries_add_many(*, user: User, entries: Sequence[DiaryRow]) -> int:
    """Add ``(movie, watched_on, score, review)`` entries; return how many were new.

    An entry of a film on a day the diary already holds (or that ``entries``
    gives twice: the first one counts) is skipped, so running it again adds
    nothing. Nothing is rated: an import rates films through the ratings
    services itself. Raise ValidationError, writing nothing, if any entry is
    invalid (a future date, a score off the half-star scale, a review too long).
    """
    wanted: dict[tuple[int, date], DiaryRow] = {}
    for row in entries:
        movie, watched_on, score, review = row
        _check_watched_on(watched_on)
        if score is not None:
            clean_score(score)
        clean_review(review)
        wanted.setdefault((movie.pk, watched_on), row)
    movie_ids = sorted({movie_id for movie_id, _day in wanted})
    present: set[tuple[int, date]] = set()
    for start in range(0, len(movie_ids), _BATCH):
        present.update(
            DiaryEntry.objects.filter(
                user=user, movie_id__in=movie_ids[start : start + _BATCH]
            ).values_list("movie_id", "watched_on")
        )
    new = [
        DiaryEntry(user=user, movie=movie, watched_on=day, score=score, review=review)
        for key, (movie, day, score, review) in wanted.items()
        if key not in present
    ]
    DiaryEntry.objects.bulk_create(new, batch_size=_BATCH, ignore_conflicts=True)
    if new:
        user_data_changed([user.pk])
    return len(new)
