from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from movies import aggregates
from movies.models import SCORES, Movie, distribution_field
from ratings.models import Rating
from ratings.services import user_ratings_count_rebuild
from users.models import User


def expected_aggregates(movie: Movie) -> dict[str, object]:
    """Return what ``movie``'s stored aggregates must be, from its ratings."""
    scores = list(Rating.objects.filter(movie=movie).values_list("score", flat=True))
    return {
        "rating_count": len(scores),
        "rating_sum": sum(scores, Decimal(0)),
        **{
            distribution_field(score): sum(1 for s in scores if s == score)
            for score in SCORES
        },
    }


def stored_aggregates(movie: Movie) -> dict[str, object]:
    fields = ["rating_count", "rating_sum", *map(distribution_field, SCORES)]
    return Movie.objects.filter(pk=movie.pk).values(*fields).get()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Argon2 is deliberately slow; these tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def assert_ratings_counts_exact() -> None:
    """Assert every user's stored ratings count is their number of ratings."""
    for user in User.objects.all():
        assert user.ratings_count == Rating.objects.filter(user=user).count(), user
    assert user_ratings_count_rebuild() == []


@pytest.fixture
def assert_aggregates_exact() -> Callable[[], None]:
    """Assert stored movie aggregates and users' ratings counts match the ratings."""

    def check() -> None:
        for movie in Movie.objects.all():
            assert stored_aggregates(movie) == expected_aggregates(movie), movie
            count = movie.rating_count
            if count:
                assert movie.rating_average == pytest.approx(
                    float(movie.rating_sum) / count
                )
            else:
                assert movie.rating_average is None
        assert aggregates.rebuild() == []
        assert_ratings_counts_exact()

    return check
