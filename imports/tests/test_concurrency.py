"""Imports racing rating writes on PostgreSQL leave every aggregate exact."""

import random
from collections.abc import Callable
from decimal import Decimal

import pytest

from imports.parsing import parse_history
from imports.services import history_import
from imports.tests.history_files import Film, imdb_file, imdb_row
from movies.models import SCORES, Movie
from movies.tests.factories import MovieFactory
from ratings import services
from ratings.models import Rating
from ratings.tests.test_concurrency import run_in_threads
from users.models import User
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _file(movies: list[Movie], seed: int) -> bytes:
    rng = random.Random(seed)
    films = [Film(m.pk, m.title, m.year, str(m.imdb_id), m.tmdb_id) for m in movies]
    return imdb_file([imdb_row(f, rng.randint(1, 10)) for f in films])


def test_rating_a_film_while_an_import_rates_it_keeps_aggregates_exact(
    assert_aggregates_exact,
):
    movies = MovieFactory.create_batch(30)
    importers = UserFactory.create_batch(2, password=None)
    raters = UserFactory.create_batch(3, password=None)

    def importing(user: User, seed: int) -> Callable[[], None]:
        def work() -> None:
            for round_ in range(3):  # Create, then change, then change again.
                parsed = parse_history(_file(movies, seed + round_))
                report = history_import(user=user, parsed=parsed)
                assert report.created + report.updated + report.unchanged == 30

        return work

    def rating(user: User, seed: int) -> Callable[[], None]:
        def work() -> None:
            rng = random.Random(seed)
            for _ in range(40):
                movie = rng.choice(movies)
                if rng.random() < 0.25:
                    existing = Rating.objects.filter(user=user, movie=movie).first()
                    if existing is not None:
                        services.rating_delete(rating=existing)
                        continue
                services.rating_upsert(
                    user=user, movie_id=movie.pk, score=rng.choice(SCORES)
                )

        return work

    errors = run_in_threads(
        [importing(user, 10 * i) for i, user in enumerate(importers)]
        + [rating(user, 100 + i) for i, user in enumerate(raters)]
    )

    assert errors == []
    for user in importers:
        assert Rating.objects.filter(user=user).count() == len(movies)
    assert sum(m.rating_count for m in Movie.objects.all()) == Rating.objects.count()
    assert Rating.objects.filter(score__gt=Decimal(0)).exists()
    assert_aggregates_exact()
