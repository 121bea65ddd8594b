"""``manage.py recompute_ratings`` rebuilds stored aggregates from the ratings."""

from collections.abc import Callable
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from movies.models import Movie
from movies.tests.factories import MovieFactory, rate

pytestmark = pytest.mark.django_db


def recompute() -> str:
    out = StringIO()
    call_command("recompute_ratings", stdout=out)
    return out.getvalue()


def test_recompute_ratings_corrects_corrupted_movies_and_reports_them(
    assert_aggregates_exact: Callable[[], None],
) -> None:
    healthy, corrupted, unrated = MovieFactory.create_batch(3)
    rate(healthy, "4.0", "5.0")
    rate(corrupted, "2.5", "3.0", "3.0")
    Movie.objects.filter(pk=corrupted.pk).update(
        rating_count=7, rating_sum=Decimal("1.0"), ratings_3_0=0, rating_average=0.1
    )
    Movie.objects.filter(pk=unrated.pk).update(rating_count=2, ratings_5_0=2)

    output = recompute()

    assert f"corrected the aggregates of 2 (ids {corrupted.pk}, {unrated.pk})" in output
    corrupted.refresh_from_db()
    assert (corrupted.rating_count, corrupted.rating_sum) == (3, Decimal("8.5"))
    assert corrupted.ratings_3_0 == 2
    assert corrupted.rating_average == pytest.approx(8.5 / 3)
    unrated.refresh_from_db()
    assert (unrated.rating_count, unrated.ratings_5_0) == (0, 0)
    assert unrated.rating_average is None
    assert_aggregates_exact()


def test_recompute_ratings_with_exact_aggregates_reports_no_change() -> None:
    movie = MovieFactory.create()
    rate(movie, "3.5")
    before = Movie.objects.values().get(pk=movie.pk)

    output = recompute()

    assert "Checked 1 movies: all aggregates exact." in output
    assert Movie.objects.values().get(pk=movie.pk) == before


def test_recompute_ratings_many_corrections_lists_only_the_first_ids() -> None:
    movies = MovieFactory.create_batch(25)
    Movie.objects.update(rating_count=1)

    output = recompute()

    assert "corrected the aggregates of 25" in output
    assert "and 5 more" in output
    assert str(movies[0].pk) in output
    assert not Movie.objects.filter(rating_count__gt=0).exists()
