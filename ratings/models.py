from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from movies.models import SCORES, Movie

REVIEW_MAX_LENGTH = 2000


class Rating(models.Model):
    """One user's score (and optional review) of one movie."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings"
    )
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="ratings")
    score = models.DecimalField(
        max_digits=2, decimal_places=1, choices=[(s, f"{s:.1f}") for s in SCORES]
    )
    review = models.TextField(max_length=REVIEW_MAX_LENGTH, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "movie"],
                name="ratings_rating_one_per_user_and_movie",
                violation_error_message="You have already rated this movie.",
            ),
            models.CheckConstraint(
                condition=models.Q(score__in=SCORES),
                name="ratings_rating_score_half_stars",
                violation_error_message="Score must be 0.5 to 5.0 in steps of 0.5.",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("review"), REVIEW_MAX_LENGTH),
                name="ratings_rating_review_length",
            ),
        ]
        indexes = [
            models.Index(
                fields=["movie", "-updated_at", "-id"], name="ratings_movie_recent_idx"
            ),
            models.Index(
                fields=["user", "-updated_at", "-id"], name="ratings_user_recent_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.movie_id}: {self.score}"
