"""Helpers shared by the movies API tests."""

from typing import Any

from django.urls import reverse

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
