"""The stored rating aggregates: deltas and the rebuild that proves them."""

from decimal import Decimal

import pytest

from movies import aggregates
from movies.models import Movie
from movies.tests.factories import MovieFactory, rate
from ratings.tests.factories import RatingFactory

pytestmark = pytest.mark.django_db


def test_rebuild_corrects_tampered_movies_only():
    tampered, intact = RatingFactory.create(), RatingFactory.create()
    Movie.objects.filter(pk=tampered.movie_id).update(rating_count=7, ratings_0_5=3)

    assert aggregates.rebuild() == [tampered.movie_id]

    stored = Movie.objects.get(pk=tampered.movie_id)
    assert (stored.rating_count, stored.ratings_0_5) == (1, 0)
    assert Movie.objects.get(pk=intact.movie_id).rating_count == 1
    assert aggregates.rebuild() == []


def test_rebuild_of_chosen_movies_leaves_the_others_alone():
    chosen, other = MovieFactory.create(), MovieFactory.create()
    rate(chosen, "4.0", "2.0")
    rate(other, "5.0")
    Movie.objects.update(rating_count=9)

    corrected = aggregates.rebuild(movies=Movie.objects.filter(pk=chosen.pk))

    assert corrected == [chosen.pk]
    assert Movie.objects.get(pk=chosen.pk).rating_count == 2
    assert Movie.objects.get(pk=other.pk).rating_count == 9


def test_rebuild_of_an_unrated_movie_empties_its_aggregates():
    movie = MovieFactory.create()
    Movie.objects.filter(pk=movie.pk).update(
        rating_count=2, rating_sum=Decimal("3.0"), rating_average=1.5, ratings_1_5=2
    )

    assert aggregates.rebuild(batch_size=1) == [movie.pk]

    stored = Movie.objects.get(pk=movie.pk)
    assert (stored.rating_count, stored.rating_sum, stored.rating_average) == (
        0,
        Decimal(0),
        None,
    )
    assert stored.ratings_1_5 == 0


def test_apply_rating_deltas_moves_a_rating_between_scores():
    movie = MovieFactory.create()
    rate(movie, "1.0", "3.0")

    aggregates.apply_rating_deltas(
        movie_id=movie.pk, added=[Decimal("5.0")], removed=[Decimal("1.0")]
    )

    stored = Movie.objects.get(pk=movie.pk)
    assert stored.rating_count == 2
    assert stored.rating_sum == Decimal("8.0")
    assert stored.average_rating == 4.0
    assert (stored.ratings_1_0, stored.ratings_3_0, stored.ratings_5_0) == (0, 1, 1)
