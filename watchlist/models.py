from django.conf import settings
from django.db import models
from django.utils import timezone

from movies.models import Movie


class WatchlistEntry(models.Model):
    """A film a user means to see; rating it takes it off the list."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="watchlist_entries",
    )
    movie = models.ForeignKey(
        Movie, on_delete=models.CASCADE, related_name="watchlist_entries"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "watchlist entries"
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "movie"],
                name="watchlist_entry_one_per_user_and_movie",
                violation_error_message="This movie is already on the watchlist.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "-added_at", "-id"], name="watchlist_user_recent_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.movie_id}"
