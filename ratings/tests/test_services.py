from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from movies.models import SCORES, Movie
from movies.tests.factories import MovieFactory
from ratings import services
from ratings.models import Rating
from ratings.tests.factories import RatingFactory
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

_USERS, _MOVIES = 3, 2


def _movie(movie: Movie) -> Movie:
    return Movie.objects.get(pk=movie.pk)


def test_rating_create_updates_count_sum_average_and_distribution(
    user, other_user, assert_aggregates_exact
):
    movie = MovieFactory.create()
    services.rating_create(user=user, movie=movie, score=Decimal("4.5"))
    services.rating_create(user=other_user, movie=movie, score=Decimal("3.0"))

    stored = _movie(movie)
    assert stored.rating_count == 2
    assert stored.rating_sum == Decimal("7.5")
    assert stored.average_rating == 3.75
    assert stored.rating_distribution["4.5"] == 1
    assert stored.rating_distribution["3.0"] == 1
    assert sum(stored.rating_distribution.values()) == 2
    assert_aggregates_exact()


def test_rating_create_twice_for_same_movie_is_a_movie_error(user):
    rating = RatingFactory.create(user=user)

    with pytest.raises(ValidationError) as excinfo:
        services.rating_create(user=user, movie=rating.movie, score=Decimal("1.0"))

    assert "movie" in excinfo.value.message_dict
    assert _movie(rating.movie).rating_count == 1


@pytest.mark.parametrize("score", ["4.3", "0", "5.5", "-1", "abc", "NaN", "sNaN", None])
def test_rating_create_with_invalid_score_is_a_score_error(user, score):
    movie = MovieFactory.create()

    with pytest.raises(ValidationError) as excinfo:
        services.rating_create(user=user, movie=movie, score=score)

    assert "score" in excinfo.value.message_dict
    assert not Rating.objects.exists()


@pytest.mark.parametrize("review", ["x" * 2001, "nul\x00byte"])
def test_rating_create_with_invalid_review_is_a_review_error(user, review):
    with pytest.raises(ValidationError) as excinfo:
        services.rating_create(
            user=user, movie=MovieFactory.create(), score=Decimal(3), review=review
        )

    assert "review" in excinfo.value.message_dict


def test_rating_create_for_deleted_movie_is_a_movie_error(user):
    movie = MovieFactory.create()
    Movie.objects.filter(pk=movie.pk).delete()

    with pytest.raises(ValidationError) as excinfo:
        services.rating_create(user=user, movie=movie, score=Decimal(3))

    assert "movie" in excinfo.value.message_dict


def test_rating_create_by_deleted_user_is_denied():
    ghost = UserFactory.create()
    movie = MovieFactory.create()
    User.objects.filter(pk=ghost.pk).delete()

    with pytest.raises(PermissionDenied):
        services.rating_create(user=ghost, movie=movie, score=Decimal(3))

    assert not Rating.objects.exists()


def test_rating_update_moves_the_score_between_distribution_buckets(
    assert_aggregates_exact,
):
    rating = RatingFactory.create(score=Decimal("2.0"))

    services.rating_update(rating=rating, score=Decimal("5.0"))

    stored = _movie(rating.movie)
    assert stored.rating_count == 1
    assert stored.rating_sum == Decimal("5.0")
    assert stored.rating_distribution["2.0"] == 0
    assert stored.rating_distribution["5.0"] == 1
    assert rating.score == Decimal("5.0")
    assert_aggregates_exact()


def test_rating_update_of_review_only_keeps_the_score():
    rating = RatingFactory.create(score=Decimal("2.0"), review="old")

    services.rating_update(rating=rating, review="new")

    rating.refresh_from_db()
    assert (rating.score, rating.review) == (Decimal("2.0"), "new")


def test_rating_update_of_deleted_rating_raises_does_not_exist():
    rating = RatingFactory.create()
    Rating.objects.filter(pk=rating.pk).delete()

    with pytest.raises(Rating.DoesNotExist):
        services.rating_update(rating=rating, score=Decimal(1))


def test_rating_upsert_twice_updates_not_duplicates(user, assert_aggregates_exact):
    movie = MovieFactory.create()

    first, created = services.rating_upsert(
        user=user, movie_id=movie.pk, score=Decimal("3.0"), review="fine"
    )
    second, created_again = services.rating_upsert(
        user=user, movie_id=movie.pk, score=Decimal("4.0")
    )

    assert (created, created_again) == (True, False)
    assert first.pk == second.pk
    second.refresh_from_db()
    assert (second.score, second.review) == (Decimal("4.0"), "fine")
    assert _movie(movie).rating_count == 1
    assert_aggregates_exact()


def test_rating_upsert_with_empty_review_clears_it(user):
    movie = MovieFactory.create()
    services.rating_upsert(
        user=user, movie_id=movie.pk, score=Decimal(3), review="text"
    )

    rating, _created = services.rating_upsert(
        user=user, movie_id=movie.pk, score=Decimal(3), review=""
    )

    rating.refresh_from_db()
    assert rating.review == ""


def test_rating_delete_removes_it_from_the_aggregates(assert_aggregates_exact):
    rating = RatingFactory.create(score=Decimal("4.0"))
    RatingFactory.create(movie=rating.movie, score=Decimal("2.0"))

    services.rating_delete(rating=rating)
    services.rating_delete(rating=rating)  # Deleting twice changes nothing.

    stored = _movie(rating.movie)
    assert (stored.rating_count, stored.rating_sum) == (1, Decimal("2.0"))
    assert stored.average_rating == 2.0
    assert_aggregates_exact()


def test_rating_delete_of_last_rating_resets_average_to_none():
    rating = RatingFactory.create()

    services.rating_delete(rating=rating)

    stored = _movie(rating.movie)
    assert (stored.rating_count, stored.rating_average) == (0, None)
    assert stored.average_rating is None


def test_ratings_delete_for_user_updates_every_movie(user, assert_aggregates_exact):
    movies = MovieFactory.create_batch(3)
    for movie, score in zip(movies, ["1.0", "2.5", "5.0"], strict=True):
        RatingFactory.create(user=user, movie=movie, score=Decimal(score))
        RatingFactory.create(movie=movie, score=Decimal("3.0"))

    assert services.ratings_delete_for_user(user=user) == 3

    assert not Rating.objects.filter(user=user).exists()
    assert [_movie(m).rating_count for m in movies] == [1, 1, 1]
    assert_aggregates_exact()


def test_ratings_delete_of_a_queryset_updates_every_movie(assert_aggregates_exact):
    ratings = [RatingFactory.create(score=score) for score in SCORES]
    keep = ratings[0]

    deleted = services.ratings_delete(ratings=Rating.objects.exclude(pk=keep.pk))

    assert deleted == len(SCORES) - 1
    assert list(Rating.objects.all()) == [keep]
    assert_aggregates_exact()


@pytest.fixture
def raters() -> list[User]:
    return UserFactory.create_batch(_USERS)


@pytest.fixture
def rated_movies() -> list[Movie]:
    return MovieFactory.create_batch(_MOVIES)


# A random sequence of writes by a few users on a few movies.
_operations = st.lists(
    st.tuples(
        st.sampled_from(
            ["create", "update", "upsert", "delete", "delete_all", "delete_user"]
        ),
        st.integers(0, _USERS - 1),
        st.integers(0, _MOVIES - 1),
        st.sampled_from(SCORES),
        st.sampled_from([None, "", "a review"]),
    ),
    max_size=25,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations=_operations)
def test_any_sequence_of_writes_leaves_aggregates_equal_to_a_rebuild(
    operations, assert_aggregates_exact, raters, rated_movies
):
    # Each example starts from no ratings: its writes are rolled back at the end.
    with transaction.atomic():
        users = list(User.objects.filter(pk__in=[u.pk for u in raters]))
        movies = list(Movie.objects.filter(pk__in=[m.pk for m in rated_movies]))
        expected: dict[tuple[int, int], Decimal] = {}
        deleted_users: set[int] = set()
        for operation, u, m, score, review in operations:
            user, movie = users[u], movies[m]
            key = (u, m)
            if u in deleted_users:
                continue
            if operation == "create":
                try:
                    services.rating_create(
                        user=user, movie=movie, score=score, review=review or ""
                    )
                except ValidationError:
                    assert key in expected
                else:
                    assert key not in expected
                expected[key] = expected.get(key, score)
            elif operation == "upsert":
                services.rating_upsert(
                    user=user, movie_id=movie.pk, score=score, review=review
                )
                expected[key] = score
            elif operation == "update" and key in expected:
                rating = Rating.objects.get(user=user, movie=movie)
                services.rating_update(rating=rating, score=score, review=review)
                expected[key] = score
            elif operation == "delete" and key in expected:
                services.rating_delete(
                    rating=Rating.objects.get(user=user, movie=movie)
                )
                del expected[key]
            elif operation == "delete_all":
                services.ratings_delete(ratings=Rating.objects.filter(movie=movie))
                expected = {k: v for k, v in expected.items() if k[1] != m}
            elif operation == "delete_user":
                user.delete()
                deleted_users.add(u)
                expected = {k: v for k, v in expected.items() if k[0] != u}

        for m, movie in enumerate(movies):
            scores = [score for (_u, mm), score in expected.items() if mm == m]
            stored = _movie(movie)
            assert stored.rating_count == len(scores)
            assert stored.rating_sum == sum(scores, Decimal(0))
        for u, user in enumerate(users):
            if u not in deleted_users:
                stored_count = User.objects.get(pk=user.pk).ratings_count
                assert stored_count == sum(1 for uu, _m in expected if uu == u)
        assert_aggregates_exact()
        transaction.set_rollback(True)
