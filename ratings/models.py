from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from movieratings.constraints import constraint_error
from movies.models import SCORES, Movie

REVIEW_MAX_LENGTH = 2000
# What the constraints on a score and a review say, on a rating and on a
# diary entry alike (both are on the rating scale).
SCORE_MESSAGE = "Score must be 0.5 to 5.0 in steps of 0.5."
REVIEW_LENGTH_MESSAGE = f"At most {REVIEW_MAX_LENGTH} characters, please."


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
                violation_error_code="unique",
            ),
            models.CheckConstraint(
                condition=models.Q(score__in=SCORES),
                name="ratings_rating_score_half_stars",
                violation_error_message=SCORE_MESSAGE,
                violation_error_code="half_stars",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("review"), REVIEW_MAX_LENGTH),
                name="ratings_rating_review_length",
                violation_error_message=REVIEW_LENGTH_MESSAGE,
                violation_error_code="max_length",
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


def clean_score(value: Any) -> Decimal:
    """Return ``value`` as a score, or raise the half-star constraint's error.

    Checked before a write, not left to the database alone: PostgreSQL rounds
    a finer value (4.49) to the column's one decimal place before the
    constraint sees it, and the aggregates must add what is stored. ``str()``
    keeps every digit of a float and refuses a bool.
    """
    try:
        score = Decimal(str(value))
        valid = not isinstance(value, bool) and score.is_finite() and score in SCORES
    except (InvalidOperation, ValueError, TypeError):
        valid = False
    if not valid:
        raise constraint_error(Rating, "ratings_rating_score_half_stars")
    return score


def clean_review(value: str) -> str:
    """Return ``value`` as a review, or raise the error of the rule it breaks.

    The length is the length constraint's; a NUL character, which
    PostgreSQL's text cannot hold, is refused as Django's forms refuse it.
    """
    if len(value) > REVIEW_MAX_LENGTH:
        raise constraint_error(Rating, "ratings_rating_review_length")
    try:
        ProhibitNullCharactersValidator()(value)
    except ValidationError as exc:
        raise ValidationError({"review": exc.error_list}) from exc
    return value
