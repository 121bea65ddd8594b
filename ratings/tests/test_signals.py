"""Deleting a user takes their ratings out of every movie's aggregates."""

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from movies.models import Movie
from movies.tests.factories import MovieFactory
from ratings.models import Rating
from ratings.tests.factories import RatingFactory
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaver_movies(user, other_user):
    """Three movies ``user`` rated, each rated by ``other_user`` too."""
    movies = MovieFactory.create_batch(3)
    for movie, score in zip(movies, ["0.5", "3.5", "5.0"], strict=True):
        RatingFactory.create(user=user, movie=movie, score=Decimal(score))
        RatingFactory.create(user=other_user, movie=movie, score=Decimal("2.0"))
    return movies


def _counts(movies):
    return [Movie.objects.get(pk=movie.pk).rating_count for movie in movies]


def test_user_deleting_own_account_via_api_updates_every_movie(
    user, user_client, leaver_movies, assert_aggregates_exact
):
    response = user_client.delete(reverse("users:user-detail", args=[user.pk]))

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not Rating.objects.filter(user_id=user.pk).exists()
    assert _counts(leaver_movies) == [1, 1, 1]
    assert all(
        Movie.objects.get(pk=movie.pk).average_rating == 2.0 for movie in leaver_movies
    )
    assert_aggregates_exact()


def test_admin_deleting_a_user_via_api_updates_every_movie(
    user, admin_client, leaver_movies, assert_aggregates_exact
):
    response = admin_client.delete(reverse("users:user-detail", args=[user.pk]))

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert _counts(leaver_movies) == [1, 1, 1]
    assert_aggregates_exact()


def test_user_delete_method_updates_every_movie(
    user, leaver_movies, assert_aggregates_exact
):
    user.delete()

    assert _counts(leaver_movies) == [1, 1, 1]
    assert_aggregates_exact()


def test_user_queryset_delete_updates_every_movie(
    user, other_user, leaver_movies, assert_aggregates_exact
):
    bystander = UserFactory.create()
    RatingFactory.create(user=bystander, movie=leaver_movies[0])

    User.objects.filter(pk__in=[user.pk, other_user.pk]).delete()

    assert _counts(leaver_movies) == [1, 0, 0]
    assert_aggregates_exact()
