"""Helpers shared by the movies API tests."""

from typing import Any

from django.core.cache import cache
from django.urls import reverse

from movies.cache import CATALOGUE_VERSION_KEY, movie_version_key
from movies.models import Genre, Movie
from movies.tests.factories import GenreFactory

MOVIE_FIELDS = {
    "id",
    "title",
    "year",
    "genres",
    "overview",
    "runtime_minutes",
    "imdb_id",
    "tmdb_id",
    "average_rating",
    "weighted_rating",
    "rating_count",
    "created_at",
    "updated_at",
}
SCORE_KEYS = ["0.5", "1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0", "4.5", "5.0"]


def movie_url(movie: Movie) -> str:
    return reverse("movies:movie-detail", args=[movie.pk])


def genre_url(genre: Genre) -> str:
    return reverse("movies:genre-detail", args=[genre.pk])


def valid_movie_body(**overrides: Any) -> dict[str, Any]:
    GenreFactory.create(name="Drama", slug="drama")
    return {"title": "Emma", "year": 1996, "genres": ["drama"], **overrides}


def catalogue_version() -> Any:
    """Return the version the cache holds for catalogue-wide entries, if any."""
    return cache.get(CATALOGUE_VERSION_KEY)


def movie_version(movie_id: int) -> Any:
    """Return the version the cache holds for one movie's entries, if any."""
    return cache.get(movie_version_key(movie_id))
