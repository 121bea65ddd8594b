"""``model_update`` writes the fields it is given and no others."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from movieratings.services import model_update
from movies.models import Genre, Movie
from movies.tests.factories import GenreFactory, MovieFactory

pytestmark = pytest.mark.django_db

A_WHILE_AGO = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


def _aged(movie: Movie) -> Movie:
    Movie.objects.filter(pk=movie.pk).update(updated_at=A_WHILE_AGO)
    movie.refresh_from_db()
    return movie


def test_model_update_keeps_a_column_another_writer_changed_meanwhile():
    movie = MovieFactory.create(title="Heat")
    Movie.objects.filter(pk=movie.pk).update(rating_count=7)  # movie is stale now

    model_update(instance=movie, data={"title": "Heat (1995)"})

    stored = Movie.objects.get(pk=movie.pk)
    assert (stored.title, stored.rating_count) == ("Heat (1995)", 7)


def test_model_update_writes_updated_at_with_the_fields():
    movie = _aged(MovieFactory.create())

    model_update(instance=movie, data={"overview": "A heist."})

    assert Movie.objects.get(pk=movie.pk).updated_at > A_WHILE_AGO


def test_model_update_of_nothing_writes_nothing():
    movie = _aged(MovieFactory.create())

    model_update(instance=movie, data={})

    assert Movie.objects.get(pk=movie.pk).updated_at == A_WHILE_AGO


def test_model_update_sets_many_to_many_fields_after_the_row():
    drama = GenreFactory.create(slug="drama")
    movie = _aged(MovieFactory.create())

    model_update(instance=movie, data={"genres": [drama]})

    stored = Movie.objects.get(pk=movie.pk)
    assert list(stored.genres.all()) == [drama]
    assert stored.updated_at > A_WHILE_AGO


def test_model_update_of_a_deleted_instance_raises_its_does_not_exist():
    genre = GenreFactory.create()
    Genre.objects.filter(pk=genre.pk).delete()

    with pytest.raises(Genre.DoesNotExist, match=r"^This genre no longer exists\.$"):
        model_update(instance=genre, data={"name": "Gone"})


def test_model_update_that_breaks_a_constraint_is_its_error_and_writes_nothing():
    GenreFactory.create(name="Drama", slug="drama")
    genre = GenreFactory.create(name="Comedy", slug="comedy")

    with pytest.raises(ValidationError) as caught:
        model_update(instance=genre, data={"slug": "drama"})

    assert caught.value.message_dict == {
        "slug": ["A genre with this slug already exists."]
    }
    assert Genre.objects.get(pk=genre.pk).slug == "comedy"
