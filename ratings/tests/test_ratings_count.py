"""Each user's stored ``ratings_count``, kept exact by every write of ratings."""

from collections.abc import Callable
from decimal import Decimal
from importlib import import_module
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from movies import services as movie_services
from movies.models import Movie
from movies.tests.factories import MovieFactory
from ratings import services
from ratings.models import Rating
from ratings.services import RatingImport
from ratings.tests.factories import RatingFactory
from users.models import User
from users.services import user_delete
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class World:
    """A rater with ratings of ``rated`` and ``other``; ``bystander`` rated one."""

    def __init__(self) -> None:
        self.rater = UserFactory.create()
        self.bystander = UserFactory.create()
        self.admin = UserFactory.create(role="admin")
        self.rated, self.other, self.unrated = MovieFactory.create_batch(3)
        for movie in (self.rated, self.other):
            RatingFactory.create(user=self.rater, movie=movie, score=Decimal("3.0"))
        RatingFactory.create(user=self.bystander, movie=self.rated)

    def rating(self, movie: Movie) -> Rating:
        return Rating.objects.get(user=self.rater, movie=movie)


def _create(w: World) -> None:
    services.rating_create(user=w.rater, movie=w.unrated, score=Decimal("4.0"))


def _upsert_new(w: World) -> None:
    services.rating_upsert(user=w.rater, movie_id=w.unrated.pk, score=Decimal("4.0"))


def _upsert_existing(w: World) -> None:
    services.rating_upsert(user=w.rater, movie_id=w.rated.pk, score=Decimal("1.0"))


def _update(w: World) -> None:
    services.rating_update(rating=w.rating(w.rated), score=Decimal("5.0"))


def _delete(w: World) -> None:
    services.rating_delete(rating=w.rating(w.rated))


def _delete_twice(w: World) -> None:
    rating = w.rating(w.rated)
    services.rating_delete(rating=rating)
    services.rating_delete(rating=rating)


def _delete_queryset(w: World) -> None:
    services.ratings_delete(ratings=Rating.objects.filter(movie=w.rated))


def _import(w: World) -> None:
    services.ratings_import(
        user=w.rater,
        items=[
            RatingImport(movie_id=w.rated.pk, score=Decimal("3.0")),  # unchanged
            RatingImport(movie_id=w.other.pk, score=Decimal("2.0")),  # updated
            RatingImport(movie_id=w.unrated.pk, score=Decimal("4.0")),  # created
        ],
    )


def _movie_delete(w: World) -> None:
    movie_services.movie_delete(movie=w.rated)


def _movies_queryset_delete(w: World) -> None:
    # As the admin's bulk deletion does, without the service.
    Movie.objects.filter(pk__in=[w.rated.pk, w.other.pk]).delete()


def _bystander_delete(w: World) -> None:
    user_delete(actor=w.admin, user=w.bystander)


@pytest.mark.parametrize(
    ("write", "rater_count", "bystander_count"),
    [
        (_create, 3, 1),
        (_upsert_new, 3, 1),
        (_upsert_existing, 2, 1),
        (_update, 2, 1),
        (_delete, 1, 1),
        (_delete_twice, 1, 1),
        (_delete_queryset, 1, 0),
        (_import, 3, 1),
        (_movie_delete, 1, 0),
        (_movies_queryset_delete, 0, 0),
        (_bystander_delete, 2, None),
    ],
    ids=lambda value: getattr(value, "__name__", "").strip("_") or None,
)
def test_every_write_of_ratings_keeps_the_stored_ratings_counts_exact(
    write: Callable[[World], None],
    rater_count: int,
    bystander_count: int | None,
    assert_aggregates_exact: Callable[[], None],
) -> None:
    world = World()

    write(world)

    counts = dict(User.objects.values_list("pk", "ratings_count"))
    assert counts[world.rater.pk] == rater_count
    assert counts.get(world.bystander.pk) == bystander_count
    assert_aggregates_exact()


def test_ratings_delete_for_user_brings_the_count_to_zero(
    user: User, assert_aggregates_exact: Callable[[], None]
) -> None:
    for movie in MovieFactory.create_batch(3):
        RatingFactory.create(user=user, movie=movie)

    assert services.ratings_delete_for_user(user=user) == 3

    assert User.objects.get(pk=user.pk).ratings_count == 0
    assert_aggregates_exact()


def test_rating_writes_give_the_rater_instance_its_current_count(user: User) -> None:
    # Another session's write: the instance in hand has not seen it.
    RatingFactory.create(user=User.objects.get(pk=user.pk))
    movie = MovieFactory.create()

    rating, created = services.rating_upsert(
        user=user, movie_id=movie.pk, score=Decimal("4.0")
    )
    assert created
    assert rating.user.ratings_count == 2

    services.rating_upsert(user=user, movie_id=movie.pk, score=Decimal("2.0"))
    assert user.ratings_count == 2

    services.ratings_import(
        user=user,
        items=[RatingImport(movie_id=MovieFactory.create().pk, score=Decimal(1))],
    )
    assert user.ratings_count == 3


def test_saving_a_user_read_before_a_rating_keeps_the_stored_count(
    user: User,
) -> None:
    stale = User.objects.get(pk=user.pk)
    RatingFactory.create(user=user)

    stale.first_name = "Renamed"
    stale.save()

    stored = User.objects.get(pk=user.pk)
    assert (stored.first_name, stored.ratings_count) == ("Renamed", 1)


def test_a_new_user_starts_with_no_ratings() -> None:
    user = User.objects.create_user(email="new@example.com", username="new")

    assert User.objects.get(pk=user.pk).ratings_count == 0


def test_user_ratings_count_rebuild_corrects_tampered_users_only(
    user: User, other_user: User
) -> None:
    RatingFactory.create(user=user)
    RatingFactory.create(user=other_user)
    User.objects.filter(pk=user.pk).update(ratings_count=9)

    assert services.user_ratings_count_rebuild() == [user.pk]

    assert User.objects.get(pk=user.pk).ratings_count == 1
    assert services.user_ratings_count_rebuild() == []


def test_recompute_ratings_recounts_corrupted_users_and_reports_them(
    user: User, other_user: User, assert_aggregates_exact: Callable[[], None]
) -> None:
    RatingFactory.create(user=user)
    User.objects.filter(pk=user.pk).update(ratings_count=0)
    User.objects.filter(pk=other_user.pk).update(ratings_count=4)
    out = StringIO()

    call_command("recompute_ratings", stdout=out)

    assert (
        f"Checked 2 users: corrected the ratings counts of 2 "
        f"(ids {user.pk}, {other_user.pk})." in out.getvalue()
    )
    assert "all aggregates exact" in out.getvalue()  # the movies were right
    assert_aggregates_exact()


def test_recompute_ratings_with_exact_counts_reports_no_change(user: User) -> None:
    RatingFactory.create(user=user)
    out = StringIO()

    call_command("recompute_ratings", stdout=out)

    assert "Checked 1 users: all ratings counts exact." in out.getvalue()


_FILL = import_module("ratings.migrations.0002_fill_user_ratings_count")


def test_migration_fill_counts_the_ratings_already_there(
    user: User, other_user: User
) -> None:
    for movie in MovieFactory.create_batch(3):
        RatingFactory.create(user=user, movie=movie)
    User.objects.update(ratings_count=7)  # As if never counted.

    # Not entered: the fill alters no table (SQLite refuses to inside a test).
    _FILL.fill_ratings_counts(apps, connection.schema_editor())

    counts = dict(User.objects.values_list("pk", "ratings_count"))
    assert counts == {user.pk: 3, other_user.pk: 0}


@pytest.mark.django_db(transaction=True)
def test_migrating_a_database_with_ratings_fills_every_count() -> None:
    before = [
        ("users", "0003_username_ascii_case_insensitive"),
        ("ratings", "0001_initial"),
    ]
    executor = MigrationExecutor(connection)
    movies = [
        node for node in executor.loader.graph.leaf_nodes() if node[0] == "movies"
    ]
    executor.migrate(before)
    old = executor.loader.project_state([*before, *movies]).apps
    old_user, old_movie, old_rating = (
        old.get_model(*name)
        for name in (("users", "User"), ("movies", "Movie"), ("ratings", "Rating"))
    )
    fan = old_user.objects.create(email="fan@example.com", username="fan")
    old_user.objects.create(email="idle@example.com", username="idle")
    for title in ("One", "Two"):
        movie = old_movie.objects.create(title=title, title_key=title.lower())
        old_rating.objects.create(user=fan, movie=movie, score=Decimal("4.0"))

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    counts = dict(User.objects.values_list("username", "ratings_count"))
    assert counts == {"fan": 2, "idle": 0}
