"""Search over the real MovieLens catalogue: typos still find the film."""

import random

import pytest
from django.conf import settings
from django.core.management import call_command

from movies.models import Movie
from movies.search import movie_search

MOVIELENS = (
    settings.BASE_DIR.parent / "shared" / "datasets" / "movielens" / "ml-latest-small"
)
SAMPLE_SIZE = 200
REQUIRED_RATE = 0.95


def drop_one_letter(key: str, rng: random.Random) -> str:
    """Return ``key`` without one of its letters or digits, chosen at random."""
    positions = [i for i, char in enumerate(key) if char.isalnum()]
    i = rng.choice(positions)
    return " ".join((key[:i] + key[i + 1 :]).split())


@pytest.mark.django_db
def test_movielens_titles_with_a_letter_dropped_are_found_in_the_top_three(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not (MOVIELENS / "ratings.csv").is_file():
        pytest.skip(f"MovieLens ml-latest-small not found at {MOVIELENS}")
    # With ratings, so that ties go to the more rated film as in production.
    call_command("import_movielens", str(MOVIELENS), "--ratings", verbosity=0)
    rng = random.Random(15)
    films = rng.sample(
        list(Movie.objects.order_by("movielens_id").values_list("pk", "title_key")),
        SAMPLE_SIZE,
    )

    misses = []
    for pk, key in films:
        query = drop_one_letter(key, rng)
        top = list(movie_search(Movie.objects.all(), query=query)[:3])
        if pk not in [movie.pk for movie in top]:
            misses.append((query, key, [movie.title_key for movie in top]))

    rate = 1 - len(misses) / SAMPLE_SIZE
    with capsys.disabled():
        print(f"\nMovieLens search sanity: {rate:.1%} of {SAMPLE_SIZE} in top 3")  # noqa: T201 (the report the test exists for)
    assert rate >= REQUIRED_RATE, misses
