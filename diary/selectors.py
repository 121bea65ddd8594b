"""Reads of diaries: each list costs a fixed number of queries."""

from django.db.models import Exists, OuterRef, QuerySet

from diary.models import DiaryEntry
from movies.selectors import with_global_mean
from users.models import User


def with_rewatch(entries: QuerySet[DiaryEntry]) -> QuerySet[DiaryEntry]:
    """Give each entry ``rewatch``: the viewer logged the film on an earlier day."""
    earlier = DiaryEntry.objects.filter(
        user_id=OuterRef("user_id"),
        movie_id=OuterRef("movie_id"),
        watched_on__lt=OuterRef("watched_on"),
    )
    return entries.annotate(rewatch=Exists(earlier))


def diary_of(*, user: User) -> QuerySet[DiaryEntry]:
    """Return ``user``'s diary, latest viewing first, with the films.

    Each row carries C for the films' weighted ratings (``with_global_mean``).
    """
    return with_global_mean(
        with_rewatch(DiaryEntry.objects.filter(user=user))
        .select_related("movie")
        .prefetch_related("movie__genres")
        .order_by("-watched_on", "-id")
    )
