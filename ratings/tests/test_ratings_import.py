"""``ratings_import``: many ratings in one call, aggregates exact."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from movies.models import Movie
from movies.tests.factories import MovieFactory, rate
from movies.tests.helpers import catalogue_version
from ratings.models import Rating
from ratings.services import RatingImport, rating_create, ratings_import
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

_MOVIE_TABLE = Movie._meta.db_table


def _movie_updates(queries: CaptureQueriesContext) -> int:
    """Count the UPDATEs of movie rows run (an executemany runs several)."""
    count = 0
    for query in queries.captured_queries:
        times, _, sql = query["sql"].rpartition(" times: ")
        if sql.startswith("UPDATE") and _MOVIE_TABLE in sql.split("SET")[0]:
            count += int(times) if times else 1
    return count


def test_ratings_import_creates_ratings_with_their_dates(user, assert_aggregates_exact):
    movies = MovieFactory.create_batch(3)
    rate(movies[0], "4.0")
    day = datetime(2019, 5, 6, tzinfo=UTC)

    counts = ratings_import(
        user=user,
        items=[
            RatingImport(movie_id=movies[0].pk, score=Decimal("3.5"), created_at=day),
            RatingImport(movie_id=movies[1].pk, score=Decimal("5"), review="Yes."),
            RatingImport(movie_id=movies[2].pk, score=Decimal("0.5")),
        ],
    )

    assert (counts.created, counts.updated, counts.unchanged) == (3, 0, 0)
    first = Rating.objects.get(user=user, movie=movies[0])
    assert first.created_at == day
    assert first.updated_at > day
    assert Rating.objects.get(user=user, movie=movies[1]).review == "Yes."
    assert Movie.objects.get(pk=movies[0].pk).rating_count == 2
    assert_aggregates_exact()


def test_ratings_import_updates_changed_and_leaves_equal_ratings(
    user, assert_aggregates_exact
):
    movies = MovieFactory.create_batch(4)
    for movie in movies:
        rating_create(user=user, movie=movie, score=Decimal("3.0"), review="old")
    before = {r.movie_id: r for r in Rating.objects.filter(user=user)}

    counts = ratings_import(
        user=user,
        items=[
            RatingImport(movie_id=movies[0].pk, score=Decimal("3.0")),  # review kept
            RatingImport(movie_id=movies[1].pk, score=Decimal("3.0"), review="old"),
            RatingImport(movie_id=movies[2].pk, score=Decimal("4.5")),
            RatingImport(movie_id=movies[3].pk, score=Decimal("3.0"), review=""),
        ],
    )

    assert (counts.created, counts.updated, counts.unchanged) == (0, 2, 2)
    after = {r.movie_id: r for r in Rating.objects.filter(user=user)}
    assert after[movies[0].pk].updated_at == before[movies[0].pk].updated_at
    assert after[movies[2].pk].score == Decimal("4.5")
    assert after[movies[2].pk].review == "old"
    assert after[movies[2].pk].created_at == before[movies[2].pk].created_at
    assert after[movies[3].pk].review == ""
    assert_aggregates_exact()


def test_ratings_import_updates_each_film_once_and_invalidates_once(user):
    movies = MovieFactory.create_batch(5)
    rating_create(user=user, movie=movies[0], score=Decimal("1.0"))
    items = [RatingImport(movie_id=m.pk, score=Decimal("2.5")) for m in movies]
    before = catalogue_version()
    assert before is not None

    with CaptureQueriesContext(connection) as queries:
        ratings_import(user=user, items=items)

    assert _movie_updates(queries) == len(movies)
    assert catalogue_version() == before + 1


def test_ratings_import_writes_nothing_for_a_review_only_unchanged_file(user):
    movie = MovieFactory.create()
    rating_create(user=user, movie=movie, score=Decimal("2.0"))

    with CaptureQueriesContext(connection) as queries:
        counts = ratings_import(
            user=user, items=[RatingImport(movie_id=movie.pk, score=Decimal("2.0"))]
        )

    assert counts.unchanged == 1
    assert _movie_updates(queries) == 0


def test_ratings_import_refuses_a_film_twice(user):
    movie = MovieFactory.create()

    with pytest.raises(ValueError, match="twice"):
        ratings_import(
            user=user,
            items=[
                RatingImport(movie_id=movie.pk, score=Decimal("2.0")),
                RatingImport(movie_id=movie.pk, score=Decimal("3.0")),
            ],
        )


def test_ratings_import_invalid_score_writes_nothing(user):
    movies = MovieFactory.create_batch(2)

    with pytest.raises(ValidationError):
        ratings_import(
            user=user,
            items=[
                RatingImport(movie_id=movies[0].pk, score=Decimal("2.0")),
                RatingImport(movie_id=movies[1].pk, score=Decimal("2.2")),
            ],
        )

    assert not Rating.objects.exists()


def test_ratings_import_of_a_deleted_movie_writes_nothing(user):
    movie, gone = MovieFactory.create_batch(2)
    gone_id = gone.pk
    gone.delete()

    with pytest.raises(Movie.DoesNotExist):
        ratings_import(
            user=user,
            items=[
                RatingImport(movie_id=movie.pk, score=Decimal("2.0")),
                RatingImport(movie_id=gone_id, score=Decimal("3.0")),
            ],
        )

    assert not Rating.objects.exists()
    assert Movie.objects.get(pk=movie.pk).rating_count == 0


def test_ratings_import_for_a_deleted_user_is_denied():
    movie = MovieFactory.create()
    ghost = UserFactory.create()
    ghost_pk = ghost.pk
    ghost.delete()
    ghost.pk = ghost_pk

    with pytest.raises(PermissionDenied):
        ratings_import(
            user=ghost, items=[RatingImport(movie_id=movie.pk, score=Decimal("2.0"))]
        )
