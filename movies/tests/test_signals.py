"""The write seam: what a transaction announces, and when it is forgotten."""

from collections.abc import Callable
from contextlib import suppress

import pytest
from django.db import transaction

from movies import services
from movies.models import Genre, Movie
from movies.signals import catalogue_changed
from movies.tests.factories import GenreFactory, MovieFactory
from movies.tests.helpers import catalogue_version, movie_version

committing = pytest.mark.django_db(transaction=True)


class _Rollback(Exception):
    pass


def _version(movie: Movie | int) -> int:
    version = movie_version(movie if isinstance(movie, int) else movie.pk)
    assert version is not None
    return version


def _catalogue() -> int:
    version = catalogue_version()
    assert version is not None
    return version


@committing
def test_one_transaction_is_forgotten_once_after_it_commits():
    drama = GenreFactory.create()
    first, second = MovieFactory.create(), MovieFactory.create()
    deleted = second.pk
    versions, catalogue = [_version(first), _version(deleted)], _catalogue()

    with transaction.atomic():
        services.movie_update(movie=first, title="Changed", genres=[drama])
        services.genre_update(genre=drama, name="Renamed")
        services.movie_delete(movie=second)
        assert [_version(first), _version(deleted)] == versions
        assert _catalogue() == catalogue  # Nothing before the commit.

    assert _catalogue() == catalogue + 1
    assert _version(first) == versions[0] + 1
    assert _version(deleted) == versions[1] + 1


@committing
def test_a_rolled_back_transaction_forgets_nothing():
    movie = MovieFactory.create()
    before, catalogue = _version(movie), _catalogue()

    with suppress(_Rollback), transaction.atomic():
        services.movie_update(movie=movie, title="Changed")
        raise _Rollback

    assert (_version(movie), _catalogue()) == (before, catalogue)


@committing
def test_a_write_after_a_rolled_back_savepoint_is_still_forgotten():
    rolled_back, kept = MovieFactory.create(), MovieFactory.create()
    versions = _version(rolled_back), _version(kept)

    with transaction.atomic():
        with suppress(_Rollback), transaction.atomic():
            # The transaction's first announcement, undone with its savepoint.
            services.movie_update(movie=rolled_back, title="Undone")
            raise _Rollback
        services.movie_update(movie=kept, title="Kept")

    assert _version(kept) == versions[1] + 1
    assert _version(rolled_back) == versions[0]


@committing
def test_outside_a_transaction_the_announcement_takes_effect_at_once():
    movie = MovieFactory.create()
    before = _version(movie)

    catalogue_changed([movie.pk])

    assert _version(movie) == before + 1


LinkChange = Callable[[Genre, Movie], object]
# Each change, and whether the movie is in the genre before it.
LINK_CHANGES: dict[str, tuple[LinkChange, bool]] = {
    "movie.genres.add": (lambda genre, movie: movie.genres.add(genre), False),
    "movie.genres.remove": (lambda genre, movie: movie.genres.remove(genre), True),
    "movie.genres.clear": (lambda genre, movie: movie.genres.clear(), True),
    "genre.movies.add": (lambda genre, movie: genre.movies.add(movie), False),
    "genre.movies.remove": (lambda genre, movie: genre.movies.remove(movie), True),
    "genre.movies.clear": (lambda genre, movie: genre.movies.clear(), True),
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "linked"), LINK_CHANGES.values(), ids=LINK_CHANGES.keys()
)
def test_a_genre_link_changed_from_either_side_forgets_the_movie(
    change: LinkChange, linked: bool
):
    genre = GenreFactory.create()
    movie = MovieFactory.create(genres=[genre] if linked else [])
    bystander = MovieFactory.create()
    versions = _version(movie), _version(bystander)

    change(genre, movie)

    assert _version(movie) != versions[0]
    assert _version(bystander) == versions[1]


@pytest.mark.django_db
def test_deleting_a_genre_forgets_its_movies_only():
    genre = GenreFactory.create()
    tagged, untagged = MovieFactory.create(genres=[genre]), MovieFactory.create()
    versions = _version(tagged), _version(untagged)

    genre.delete()

    assert _version(tagged) != versions[0]
    assert _version(untagged) == versions[1]
