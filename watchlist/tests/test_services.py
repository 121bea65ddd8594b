from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from movies.services import movie_delete
from movies.tests.factories import MovieFactory
from ratings.models import Rating
from ratings.services import rating_create, rating_update, rating_upsert
from ratings.tests.factories import RatingFactory
from users.services import user_delete
from users.tests.factories import UserFactory
from watchlist.models import WatchlistEntry
from watchlist.services import (
    watchlist_add,
    watchlist_add_many,
    watchlist_remove,
    watchlist_remove_rated,
)
from watchlist.tests.factories import WatchlistEntryFactory

pytestmark = pytest.mark.django_db


def _listed(user) -> set[int]:
    return set(
        WatchlistEntry.objects.filter(user=user).values_list("movie_id", flat=True)
    )


def test_watchlist_add_creates_an_entry_then_keeps_it(user):
    movie = MovieFactory.create()

    first, created = watchlist_add(user=user, movie=movie)
    again, created_again = watchlist_add(user=user, movie=movie)

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert again.added_at == first.added_at
    assert _listed(user) == {movie.pk}


def test_watchlist_remove_deletes_the_entry(user):
    entry = WatchlistEntryFactory.create(user=user)
    other = WatchlistEntryFactory.create(movie=entry.movie)  # Someone else's.

    watchlist_remove(user=user, movie=entry.movie)

    assert _listed(user) == set()
    assert WatchlistEntry.objects.filter(pk=other.pk).exists()


def test_watchlist_remove_of_a_film_not_listed_raises(user):
    with pytest.raises(WatchlistEntry.DoesNotExist):
        watchlist_remove(user=user, movie=MovieFactory.create())


def test_watchlist_add_many_adds_new_films_once_and_is_idempotent(user):
    listed = WatchlistEntryFactory.create(user=user).movie
    movies = MovieFactory.create_batch(3)
    when = datetime(2019, 5, 17, 12, 0, tzinfo=UTC)

    added = watchlist_add_many(
        user=user,
        movies=[*movies, movies[0], listed],
        added_at={movies[1].pk: when},
    )
    again = watchlist_add_many(user=user, movies=movies)

    assert (added, again) == (3, 0)
    assert _listed(user) == {listed.pk, *(movie.pk for movie in movies)}
    assert WatchlistEntry.objects.get(user=user, movie=movies[1]).added_at == when


def test_watchlist_add_many_of_nothing_adds_nothing(user):
    assert watchlist_add_many(user=user, movies=[]) == 0


@pytest.mark.parametrize(
    "rate",
    [
        lambda user, movie: rating_create(user=user, movie=movie, score=Decimal(4)),
        lambda user, movie: rating_upsert(
            user=user, movie_id=movie.pk, score=Decimal(4)
        ),
    ],
    ids=["rating_create", "rating_upsert"],
)
def test_rating_a_film_takes_it_off_the_raters_watchlist_only(user, rate):
    movie, kept = MovieFactory.create(), MovieFactory.create()
    for film in (movie, kept):
        watchlist_add(user=user, movie=film)
    someone = UserFactory.create(password=None)
    watchlist_add(user=someone, movie=movie)

    rate(user, movie)

    assert _listed(user) == {kept.pk}
    assert _listed(someone) == {movie.pk}


def test_changing_a_rating_takes_the_film_off_the_watchlist(user):
    rating = RatingFactory.create(user=user, score=Decimal(2))
    watchlist_add(user=user, movie=rating.movie)  # Listed again after rating.

    rating_update(rating=rating, score=Decimal(3))

    assert _listed(user) == set()


def test_a_refused_rating_leaves_the_watchlist_as_it_is(user):
    movie = MovieFactory.create()
    RatingFactory.create(user=user, movie=movie)
    watchlist_add(user=user, movie=movie)

    with pytest.raises(ValidationError):
        rating_create(user=user, movie=movie, score=Decimal(4))  # Rated already.

    assert _listed(user) == {movie.pk}
    assert Rating.objects.filter(user=user).count() == 1


def test_watchlist_remove_rated_counts_what_it_removed(user):
    entries = WatchlistEntryFactory.create_batch(2, user=user)

    removed = watchlist_remove_rated(
        user_id=user.pk, movie_ids=[entries[0].movie_id, MovieFactory.create().pk]
    )

    assert removed == 1
    assert _listed(user) == {entries[1].movie_id}


def test_a_deleted_movie_or_user_takes_their_entries_with_them(user):
    movie = MovieFactory.create()
    watchlist_add(user=user, movie=movie)
    someone = UserFactory.create(password=None)
    watchlist_add(user=someone, movie=MovieFactory.create())

    movie_delete(movie=movie)
    user_delete(user=someone, actor=someone)

    assert not WatchlistEntry.objects.exists()
