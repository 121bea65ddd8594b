"""Concurrent watchlist and rating writes on PostgreSQL stay consistent."""

from decimal import Decimal

import pytest

from movies.tests.factories import MovieFactory
from ratings import services as ratings
from ratings.models import Rating
from ratings.tests.test_concurrency import run_in_threads
from users.models import User
from users.tests.factories import UserFactory
from watchlist import services
from watchlist.models import WatchlistEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_adds_of_one_film_make_one_entry():
    user, movie = UserFactory.create(password=None), MovieFactory.create()
    created: list[bool] = []

    def add() -> None:
        _entry, was_created = services.watchlist_add(
            user=User.objects.get(pk=user.pk), movie=movie
        )
        created.append(was_created)

    errors = run_in_threads([add] * 6)

    assert errors == []
    assert sorted(created) == [False] * 5 + [True]
    assert WatchlistEntry.objects.filter(user=user, movie=movie).count() == 1


@pytest.mark.parametrize("round_", range(5))
def test_rating_while_the_film_is_added_again_leaves_one_serial_outcome(round_):
    """The film is listed when both start; one request rates it, one adds it.

    Either the add saw the listed film (200, "already there") and the rating
    then took it off, or the rating took it off first and the add put it back
    (201): never a rated film still listed from before the rating.
    """
    user, movie = UserFactory.create(password=None), MovieFactory.create()
    services.watchlist_add(user=user, movie=movie)
    added: list[bool] = []

    def rate() -> None:
        ratings.rating_upsert(
            user=User.objects.get(pk=user.pk), movie_id=movie.pk, score=Decimal(4)
        )

    def add() -> None:
        _entry, created = services.watchlist_add(
            user=User.objects.get(pk=user.pk), movie=movie
        )
        added.append(created)

    errors = run_in_threads([rate, add])

    assert errors == []
    assert Rating.objects.filter(user=user, movie=movie).count() == 1
    listed = WatchlistEntry.objects.filter(user=user, movie=movie).exists()
    assert added == [listed]
