"""``manage.py seed_synthetic`` and the generators behind it."""

import random
from collections import Counter
from collections.abc import Callable
from io import StringIO
from itertools import accumulate

import pytest
from django.contrib.auth.hashers import is_password_usable
from django.core.management import CommandError, call_command
from django.db.models import Count

from movies.models import Genre, Movie
from movies.tests.factories import MovieFactory, rate
from movies.titles import normalize_title
from ratings.loading.synthetic import (
    SCORE_WEIGHTS,
    ScoreSampler,
    allocate,
    pick_distinct,
    zipf_weights,
)
from ratings.models import Rating
from users.models import User


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_synthetic", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_synthetic_small_run_creates_counts_with_exact_aggregates(
    assert_aggregates_exact: Callable[[], None],
) -> None:
    output = seed("--movies", "20", "--users", "10", "--ratings", "100", "--seed", "3")

    assert Movie.objects.count() == 20
    users = list(User.objects.order_by("pk"))
    assert sorted(u.username for u in users) == sorted(
        f"synthetic_{n}" for n in range(1, 11)
    )
    assert not any(is_password_usable(u.password) for u in users)
    assert Rating.objects.count() == 100
    pairs = Rating.objects.values("user", "movie").annotate(n=Count("pk"))
    assert {row["n"] for row in pairs} == {1}
    assert all(m.title and m.year and m.genres.exists() for m in Movie.objects.all())
    assert all(m.title_key == normalize_title(m.title) for m in Movie.objects.all())
    assert Genre.objects.filter(slug="drama").exists()
    assert sum(Movie.objects.values_list("rating_count", flat=True)) == 100
    assert sum(User.objects.values_list("ratings_count", flat=True)) == 100
    assert_aggregates_exact()
    assert "Added 10 users, 20 movies and 100 ratings" in output
    assert "rows/s" in output


@pytest.mark.django_db
def test_seed_synthetic_on_existing_data_adds_new_rows_only(
    assert_aggregates_exact: Callable[[], None],
) -> None:
    existing = MovieFactory.create()
    rate(existing, "4.0", "2.0")
    seed("--movies", "5", "--users", "4", "--ratings", "12")
    before = Movie.objects.values().get(pk=existing.pk)

    seed("--movies", "5", "--users", "4", "--ratings", "20")

    assert Movie.objects.values().get(pk=existing.pk) == before
    assert Movie.objects.count() == 11
    synthetic = User.objects.filter(username__startswith="synthetic_")
    assert synthetic.count() == 8
    assert synthetic.filter(username="synthetic_8").exists()
    assert Rating.objects.count() == 2 + 12 + 20
    assert_aggregates_exact()


@pytest.mark.django_db
def test_seed_synthetic_more_ratings_than_pairs_is_a_command_error() -> None:
    with pytest.raises(CommandError, match="pairs"):
        seed("--movies", "2", "--users", "3", "--ratings", "7")

    assert (Movie.objects.count(), User.objects.count()) == (0, 0)


def test_allocate_spreads_the_total_within_the_cap_favouring_heavy_weights() -> None:
    rng = random.Random(1)

    counts = allocate(1000, zipf_weights(50), cap=40, rng=rng)

    assert sum(counts) == 1000
    assert max(counts) <= 40
    assert counts[0] == 40  # The most popular item fills up.
    assert sum(counts[:10]) > sum(counts[-10:]) * 2


def test_allocate_exactly_full_capacity_gives_every_item_the_cap() -> None:
    assert allocate(30, zipf_weights(3), cap=10, rng=random.Random(2)) == [10] * 3


@pytest.mark.parametrize("count", [0, 5, 40, 100])
def test_pick_distinct_returns_distinct_indexes(count: int) -> None:
    cumulative = list(accumulate(zipf_weights(100)))

    picked = pick_distinct(count, cumulative, rng=random.Random(count))

    assert len(picked) == len(set(picked)) == count
    assert all(0 <= index < 100 for index in picked)


def test_score_sampler_follows_the_movielens_distribution() -> None:
    sampler = ScoreSampler(random.Random(5))
    draws = 60_000

    counts = Counter(sampler.score(sampler.movie_quality()) for _ in range(draws))

    total = sum(SCORE_WEIGHTS.values())
    for score, weight in SCORE_WEIGHTS.items():
        assert counts[score] / draws == pytest.approx(weight / total, abs=0.01)


def test_score_sampler_good_movies_score_higher_than_bad_ones() -> None:
    sampler = ScoreSampler(random.Random(6))

    good = [float(sampler.score(1.5)) for _ in range(2000)]
    bad = [float(sampler.score(-1.5)) for _ in range(2000)]

    assert sum(good) / len(good) > sum(bad) / len(bad) + 0.8
