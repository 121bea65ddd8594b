from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone

from movies.titles import normalize_title

# Scores are half stars, as in MovieLens: 0.5, 1.0, ... 5.0.
SCORES: tuple[Decimal, ...] = tuple(Decimal(n) / 2 for n in range(1, 11))
MIN_YEAR = 1870
IMDB_ID_REGEX = r"^tt[0-9]{7,10}$"
# How far ahead of next year an announced film may be dated (API contract).
MAX_YEARS_AHEAD = 5
RUNTIME_MINUTES_MAX = 1000
OVERVIEW_MAX_LENGTH = 10000

validate_imdb_id = RegexValidator(
    IMDB_ID_REGEX, "Enter an IMDb id like tt0114709 (tt and 7 to 10 digits)."
)


def max_movie_year() -> int:
    """Return the latest valid year of a movie: next year + 5.

    It moves with the calendar, so it is checked on input (serializers, admin
    form) rather than by a database constraint.
    """
    return timezone.now().year + 1 + MAX_YEARS_AHEAD


def validate_movie_year(value: int | None) -> None:
    """Raise ValidationError unless ``value`` is None or a plausible film year."""
    if value is None:
        return
    if not MIN_YEAR <= value <= max_movie_year():
        raise ValidationError(
            "Year must be between %(min)s and %(max)s.",
            code="year_range",
            params={"min": MIN_YEAR, "max": max_movie_year()},
        )


def score_key(score: Decimal) -> str:
    """Return the distribution key of a score: ``"0.5"`` ... ``"5.0"``."""
    return f"{score:.1f}"


def distribution_field(score: Decimal) -> str:
    """Return the name of the Movie field that counts ratings of ``score``."""
    return "ratings_" + score_key(score).replace(".", "_")


# What curators and admins edit, in the API and in the Django admin alike.
MOVIE_EDITABLE_FIELDS = [
    "title",
    "year",
    "genres",
    "overview",
    "runtime_minutes",
    "imdb_id",
    "tmdb_id",
]


class GenreManager(models.Manager["Genre"]):
    def get_by_natural_key(self, slug: str) -> "Genre":
        return self.get(slug=slug)


class Genre(models.Model):
    name = models.CharField(max_length=64, unique=True)
    slug = models.SlugField(max_length=64, unique=True)

    objects = GenreManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(name="") & ~models.Q(slug=""),
                name="movies_genre_name_slug_not_blank",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class MovieManager(models.Manager["Movie"]):
    def get_by_natural_key(self, imdb_id: str) -> "Movie":
        return self.get(imdb_id=imdb_id)


class Movie(models.Model):
    """A film in the catalogue, with its rating aggregates stored alongside.

    The aggregate fields are written only by ``movies.aggregates``, which the
    ratings services call: they are kept exact in the same transaction as each
    rating write and can be rebuilt from the ratings with ``manage.py
    recompute_ratings``.
    """

    title = models.CharField(max_length=255)
    # normalize_title(title): what search compares and ordering=title sorts by.
    # save() keeps it right; paths that bypass save() set it themselves.
    title_key = models.CharField(max_length=255, blank=True, editable=False)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    genres = models.ManyToManyField(Genre, related_name="movies", blank=True)
    overview = models.TextField(blank=True, default="")
    runtime_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    imdb_id = models.CharField(
        "IMDb id", max_length=12, unique=True, null=True, blank=True
    )
    tmdb_id = models.PositiveIntegerField("TMDB id", unique=True, null=True, blank=True)
    movielens_id = models.PositiveIntegerField(
        "MovieLens id", unique=True, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    # Rating aggregates (see the class docstring).
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    rating_sum = models.DecimalField(
        max_digits=12, decimal_places=1, default=Decimal(0), editable=False
    )
    # Derived from count and sum, stored so that ordering by it uses an index.
    rating_average = models.FloatField(null=True, blank=True, editable=False)
    ratings_0_5 = models.PositiveIntegerField(default=0, editable=False)
    ratings_1_0 = models.PositiveIntegerField(default=0, editable=False)
    ratings_1_5 = models.PositiveIntegerField(default=0, editable=False)
    ratings_2_0 = models.PositiveIntegerField(default=0, editable=False)
    ratings_2_5 = models.PositiveIntegerField(default=0, editable=False)
    ratings_3_0 = models.PositiveIntegerField(default=0, editable=False)
    ratings_3_5 = models.PositiveIntegerField(default=0, editable=False)
    ratings_4_0 = models.PositiveIntegerField(default=0, editable=False)
    ratings_4_5 = models.PositiveIntegerField(default=0, editable=False)
    ratings_5_0 = models.PositiveIntegerField(default=0, editable=False)

    objects = MovieManager()

    class Meta:
        ordering = ["title_key", "id"]
        indexes = [
            models.Index(fields=["title_key", "id"], name="movies_title_key_idx"),
            models.Index(fields=["year", "id"], name="movies_year_idx"),
            models.Index(fields=["rating_count", "id"], name="movies_count_idx"),
            models.Index(fields=["rating_average", "id"], name="movies_average_idx"),
            models.Index(fields=["created_at", "id"], name="movies_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("title"), 1)
                & ~models.Q(title__regex=r"^\s*$"),
                name="movies_movie_title_not_blank",
            ),
            models.CheckConstraint(
                condition=models.Q(year__isnull=True) | models.Q(year__gte=MIN_YEAR),
                name="movies_movie_year_min",
            ),
            models.CheckConstraint(
                condition=models.Q(runtime_minutes__isnull=True)
                | models.Q(runtime_minutes__gte=1, runtime_minutes__lte=1000),
                name="movies_movie_runtime_range",
            ),
            models.CheckConstraint(
                condition=models.Q(imdb_id__isnull=True)
                | models.Q(imdb_id__regex=IMDB_ID_REGEX),
                name="movies_movie_imdb_id_format",
            ),
            models.CheckConstraint(
                condition=models.Q(tmdb_id__isnull=True) | models.Q(tmdb_id__gte=1),
                name="movies_movie_tmdb_id_positive",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("overview"), 10000),
                name="movies_movie_overview_length",
            ),
            models.CheckConstraint(
                condition=models.Q(rating_count__gte=0, rating_sum__gte=0),
                name="movies_movie_aggregates_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.title_key = normalize_title(self.title)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "title" in update_fields:
            kwargs["update_fields"] = {*update_fields, "title_key"}
        super().save(*args, **kwargs)

    def natural_key(self) -> tuple[str | None]:
        # The external ids are a film's identity (titles and years repeat).
        return (self.imdb_id,)

    @property
    def average_rating(self) -> float | None:
        """Return the mean score rounded to 2 decimals, or None if unrated."""
        if not self.rating_count:
            return None
        return round(float(self.rating_sum) / self.rating_count, 2)

    @property
    def rating_distribution(self) -> dict[str, int]:
        """Return the number of ratings per score, all ten scores present."""
        return {
            score_key(score): getattr(self, distribution_field(score))
            for score in SCORES
        }

    def weighted_rating(
        self, *, global_mean: float | None, min_votes: int
    ) -> float | None:
        """Return the movie's ``weighted_rating`` (see the function of that name)."""
        return weighted_rating(
            rating_count=self.rating_count,
            rating_sum=self.rating_sum,
            global_mean=global_mean,
            min_votes=min_votes,
        )


def weighted_rating(
    *,
    rating_count: int,
    rating_sum: Decimal,
    global_mean: float | None,
    min_votes: int,
) -> float | None:
    """Return IMDb's Bayesian estimate rounded to 2 decimals, None if unrated.

    ``(v/(v+m))·R + (m/(v+m))·C`` = ``(sum + m·C) / (v + m)``.
    """
    if not rating_count or global_mean is None:
        return None
    return round(
        (float(rating_sum) + min_votes * global_mean) / (rating_count + min_votes), 2
    )
