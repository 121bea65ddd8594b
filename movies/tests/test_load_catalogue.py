from decimal import Decimal

import pytest
from django.core.management import call_command

from movies.models import Genre, Movie
from ratings.services import rating_create

pytestmark = pytest.mark.django_db


def test_load_catalogue_on_empty_database_loads_fixture():
    call_command("load_catalogue")

    assert Movie.objects.count() >= 150
    assert Genre.objects.filter(slug="drama").exists()
    assert Movie.objects.get(imdb_id="tt0111161").title == "The Shawshank Redemption"


def test_load_catalogue_with_movies_present_keeps_data_and_aggregates(user):
    call_command("load_catalogue")
    movie = Movie.objects.get(imdb_id="tt0111161")
    rating_create(user=user, movie=movie, score=Decimal("4.5"))
    Movie.objects.filter(pk=movie.pk).update(title="Curated title")

    call_command("load_catalogue")

    movie.refresh_from_db()
    assert movie.title == "Curated title"
    assert movie.rating_count == 1


def test_load_catalogue_force_reloads_and_rebuilds_aggregates(user):
    call_command("load_catalogue")
    movie = Movie.objects.get(imdb_id="tt0111161")
    rating_create(user=user, movie=movie, score=Decimal("4.5"))

    call_command("load_catalogue", force=True)

    movie.refresh_from_db()
    assert movie.rating_count == 1
    assert movie.rating_sum == Decimal("4.5")
    assert movie.ratings_4_5 == 1
