"""Serializers of movies take what is not the movie's from their context."""

import pytest

from movies.models import Movie
from movies.reads import rating_context
from movies.serializers import (
    CALLER,
    GLOBAL_MEAN,
    MIN_VOTES,
    MovieDetailSerializer,
    MovieSerializer,
)
from movies.tests.factories import MovieFactory, rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def movie() -> Movie:
    movie = MovieFactory.create()
    rate(movie, "4.0")
    movie.refresh_from_db()  # The aggregates the rating updated.
    return movie


@pytest.mark.parametrize("missing", [GLOBAL_MEAN, MIN_VOTES])
def test_movie_serializer_without_c_or_m_names_what_is_missing(movie, missing):
    context = {
        key: value for key, value in rating_context(3.0).items() if key != missing
    }

    with pytest.raises(LookupError, match=f"MovieSerializer needs '{missing}'"):
        _ = MovieSerializer(movie, context=context).data


def test_movie_detail_serializer_without_the_caller_names_it(movie):
    with pytest.raises(LookupError, match=f"needs '{CALLER}'"):
        _ = MovieDetailSerializer(movie, context=rating_context(3.0)).data


def test_movie_serializer_rates_with_the_c_and_m_it_is_given(movie):
    context = {GLOBAL_MEAN: 2.0, MIN_VOTES: 1}

    data = MovieSerializer(movie, context=context).data

    assert data["weighted_rating"] == (4.0 + 1 * 2.0) / (1 + 1)


def test_many_movies_serialise_with_one_context(movie):
    other = MovieFactory.create()
    movies = Movie.objects.filter(pk__in=[movie.pk, other.pk]).order_by("pk")

    data = MovieSerializer(movies, many=True, context=rating_context(None)).data

    assert [item["weighted_rating"] for item in data] == [None, None]
