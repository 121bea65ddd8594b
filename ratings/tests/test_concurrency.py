"""Concurrent rating writes on PostgreSQL leave every aggregate exact.

Each thread has its own database connection (Django's are per thread) and
closes it when done; the threads start together at a barrier.
"""

import itertools
import random
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections

from movies.models import SCORES, Movie
from movies.tests.factories import MovieFactory
from ratings import services
from ratings.models import Rating
from users.models import Role, User
from users.services import user_delete
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_threads(workers: list[Callable[[], None]]) -> list[BaseException]:
    """Run ``workers`` at once, each in a thread; return what they raised."""
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:  # Reported to the test, not lost.
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _fresh(model: type[User] | type[Movie], pk: int):
    return model.objects.get(pk=pk)


def test_storm_of_writes_on_two_movies_keeps_aggregates_exact(
    assert_aggregates_exact,
):
    movies = MovieFactory.create_batch(2)
    users = UserFactory.create_batch(4)

    def storm(seed: int) -> Callable[[], None]:
        def work() -> None:
            rng = random.Random(seed)
            for _ in range(25):
                user = _fresh(User, rng.choice(users).pk)
                movie = _fresh(Movie, rng.choice(movies).pk)
                score = rng.choice(SCORES)
                action = rng.choice(["upsert", "upsert", "create", "update", "delete"])
                existing = Rating.objects.filter(user=user, movie=movie).first()
                try:
                    if action == "upsert":
                        services.rating_upsert(
                            user=user, movie_id=movie.pk, score=score
                        )
                    elif action == "create":
                        services.rating_create(user=user, movie=movie, score=score)
                    elif action == "update" and existing is not None:
                        services.rating_update(rating=existing, score=score)
                    elif action == "delete" and existing is not None:
                        services.rating_delete(rating=existing)
                except ValidationError as exc:
                    if "movie" not in exc.message_dict:
                        raise  # Only "already rated" is expected.
                except Rating.DoesNotExist:
                    pass  # Deleted by another thread meanwhile: expected.

        return work

    errors = run_in_threads([storm(seed) for seed in range(10)])

    assert errors == []
    assert Rating.objects.exists()
    for movie in movies:
        stored = _fresh(Movie, movie.pk)
        scores = list(
            Rating.objects.filter(movie=movie).values_list("score", flat=True)
        )
        assert stored.rating_count == len(scores)
        assert stored.rating_sum == sum(scores, Decimal(0))
        assert sum(stored.rating_distribution.values()) == len(scores)
    assert_aggregates_exact()


def _race_first_ratings(user: User, movie: Movie) -> list[bool]:
    """Rate ``movie`` as ``user`` from two threads at once; return ``created``s."""
    outcomes: list[bool] = []

    def rate(score: Decimal) -> Callable[[], None]:
        def work() -> None:
            _rating, created = services.rating_upsert(
                user=_fresh(User, user.pk), movie_id=movie.pk, score=score
            )
            outcomes.append(created)

        return work

    assert run_in_threads([rate(Decimal("2.0")), rate(Decimal("4.0"))]) == []
    return outcomes


def test_racing_first_ratings_by_one_user_make_exactly_one(assert_aggregates_exact):
    user = UserFactory.create()

    for movie in MovieFactory.create_batch(5):
        outcomes = _race_first_ratings(user, movie)

        assert sorted(outcomes) == [False, True]
        assert Rating.objects.filter(user=user, movie=movie).count() == 1
        assert _fresh(Movie, movie.pk).rating_count == 1
    assert_aggregates_exact()


def test_deleting_a_user_while_they_rate_keeps_aggregates_exact(
    assert_aggregates_exact,
):
    admin = UserFactory.create(role=Role.ADMIN)
    leaver = UserFactory.create()
    movies = MovieFactory.create_batch(2)
    for movie in movies:
        services.rating_create(user=UserFactory.create(), movie=movie, score=SCORES[6])
    started, deleted = threading.Event(), threading.Event()
    denied: list[PermissionDenied] = []

    def rate() -> None:
        rng = random.Random(7)
        try:
            for attempt in itertools.count():
                if attempt == 5:
                    started.set()
                after_deletion = deleted.is_set()
                try:
                    rating, _created = services.rating_upsert(
                        user=leaver,
                        movie_id=rng.choice(movies).pk,
                        score=rng.choice(SCORES),
                    )
                    if rng.random() < 0.3:
                        services.rating_delete(rating=rating)
                except PermissionDenied as exc:
                    denied.append(exc)  # The account is gone: writes stop here.
                    return
                except Rating.DoesNotExist:
                    pass  # Deleted with the user between read and write.
                if after_deletion:
                    pytest.fail("a deleted user could still rate")
        finally:
            started.set()

    def delete() -> None:
        started.wait()
        user_delete(actor=admin, user=_fresh(User, leaver.pk))
        deleted.set()

    errors = run_in_threads([rate, delete])

    assert errors == []
    assert len(denied) == 1
    assert not User.objects.filter(pk=leaver.pk).exists()
    assert not Rating.objects.filter(user_id=leaver.pk).exists()
    assert [_fresh(Movie, m.pk).rating_count for m in movies] == [1, 1]
    assert_aggregates_exact()


def test_one_user_rating_and_unrating_from_many_threads_keeps_their_count_exact(
    assert_aggregates_exact,
):
    rater, bystander = UserFactory.create_batch(2)
    movies = MovieFactory.create_batch(4)
    services.rating_create(user=bystander, movie=movies[0], score=SCORES[3])

    def storm(seed: int) -> Callable[[], None]:
        def work() -> None:
            rng = random.Random(seed)
            for _ in range(20):
                user = _fresh(User, rater.pk)
                movie = rng.choice(movies)
                action = rng.choice(["upsert", "create", "delete", "delete", "import"])
                existing = Rating.objects.filter(user=user, movie=movie).first()
                try:
                    if action == "upsert":
                        services.rating_upsert(
                            user=user, movie_id=movie.pk, score=rng.choice(SCORES)
                        )
                    elif action == "create":
                        services.rating_create(
                            user=user, movie=movie, score=rng.choice(SCORES)
                        )
                    elif action == "delete" and existing is not None:
                        services.rating_delete(rating=existing)
                    elif action == "import":
                        picked = rng.sample(movies, 2)
                        services.ratings_import(
                            user=user,
                            items=[
                                services.RatingImport(
                                    movie_id=m.pk, score=rng.choice(SCORES)
                                )
                                for m in picked
                            ],
                        )
                except ValidationError as exc:
                    if "movie" not in exc.message_dict:
                        raise  # Only "already rated" is expected.

        return work

    errors = run_in_threads([storm(seed) for seed in range(8)])

    assert errors == []
    stored = _fresh(User, rater.pk).ratings_count
    assert stored == Rating.objects.filter(user=rater).count()
    assert _fresh(User, bystander.pk).ratings_count == 1
    assert_aggregates_exact()


def test_deleting_many_ratings_while_their_raters_rate_keeps_counts_exact(
    assert_aggregates_exact,
):
    raters = UserFactory.create_batch(6)
    movies = MovieFactory.create_batch(3)
    for rater in raters:
        for movie in movies:
            services.rating_create(user=rater, movie=movie, score=SCORES[5])

    def rate(rater: User) -> Callable[[], None]:
        def work() -> None:
            rng = random.Random(rater.pk)
            for _ in range(10):
                movie = rng.choice(movies)
                services.rating_upsert(
                    user=_fresh(User, rater.pk),
                    movie_id=movie.pk,
                    score=rng.choice(SCORES),
                )

        return work

    def delete(movie: Movie) -> Callable[[], None]:
        def work() -> None:
            services.ratings_delete(ratings=Rating.objects.filter(movie=movie))

        return work

    errors = run_in_threads(
        [*(rate(rater) for rater in raters), *(delete(m) for m in movies)]
    )

    assert errors == []
    for rater in raters:
        assert (
            _fresh(User, rater.pk).ratings_count
            == Rating.objects.filter(user=rater).count()
        )
    assert_aggregates_exact()
