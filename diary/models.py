from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from movies.models import SCORES, Movie
from ratings.models import REVIEW_LENGTH_MESSAGE, REVIEW_MAX_LENGTH, SCORE_MESSAGE

# The last time zone to start a day (UTC+14): a date that is today anywhere on
# Earth is not in the future.
_LATEST_UTC_OFFSET = timedelta(hours=14)


def latest_watch_date() -> date:
    """Return the latest ``watched_on`` allowed: today in the latest time zone.

    It moves with the calendar, so it is checked on input rather than by a
    database constraint.
    """
    return (timezone.now() + _LATEST_UTC_OFFSET).date()


class DiaryEntry(models.Model):
    """One viewing of a film on a day, with what the viewer thought that day.

    Whether it is a rewatch follows from the viewer's earlier entries of the
    film and is computed when read, never stored.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="diary_entries"
    )
    movie = models.ForeignKey(
        Movie, on_delete=models.CASCADE, related_name="diary_entries"
    )
    watched_on = models.DateField()
    score = models.DecimalField(
        max_digits=2,
        decimal_places=1,
        null=True,
        blank=True,
        choices=[(s, f"{s:.1f}") for s in SCORES],
    )
    review = models.TextField(max_length=REVIEW_MAX_LENGTH, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "diary entries"
        ordering = ["-watched_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "movie", "watched_on"],
                name="diary_entry_one_per_user_movie_and_day",
                violation_error_message="You already logged this film on this day.",
                violation_error_code="unique",
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__in=SCORES),
                name="diary_entry_score_half_stars",
                violation_error_message=SCORE_MESSAGE,
                violation_error_code="half_stars",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("review"), REVIEW_MAX_LENGTH),
                name="diary_entry_review_length",
                violation_error_message=REVIEW_LENGTH_MESSAGE,
                violation_error_code="max_length",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "-watched_on", "-id"], name="diary_user_recent_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.movie_id} on {self.watched_on}"
