"""Deleting a movie while it is being rated: 204 and 404s, never a 500."""

from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from movies import services
from movies.models import Movie
from movies.tests.factories import MovieFactory
from ratings.models import Rating
from ratings.tests.test_concurrency import run_in_threads
from users.models import User
from users.tests.factories import UserFactory

RATERS = 30
ROUNDS = 3


def _delete_while_rating(
    movie: Movie, raters: list[APIClient], admin: APIClient
) -> tuple[list[int], list[int]]:
    """Delete ``movie`` while every rater rates it; return both sets of statuses."""
    url = reverse("ratings:movie-rating", args=[movie.pk])
    rated: list[int] = []
    deleted: list[int] = []

    def rate(rater: APIClient) -> Callable[[], None]:
        return lambda: rated.append(rater.put(url, {"score": 4.0}).status_code)

    def delete() -> None:
        response = admin.delete(reverse("movies:movie-detail", args=[movie.pk]))
        deleted.append(response.status_code)

    assert run_in_threads([*(rate(rater) for rater in raters), delete]) == []
    return rated, deleted


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_movie_deleted_during_a_storm_of_ratings_is_204_and_raters_get_404(
    client_for: Callable[[User | None], APIClient],
    admin_user: User,
    assert_aggregates_exact: Callable[[], None],
):
    bystander = MovieFactory.create()
    raters = [client_for(user) for user in UserFactory.create_batch(RATERS)]
    for rater in raters[:5]:
        rater.put(reverse("ratings:movie-rating", args=[bystander.pk]), {"score": 3.0})

    for _round in range(ROUNDS):  # The race was lost in 2 rounds of 3.
        movie = MovieFactory.create()

        rated, deleted = _delete_while_rating(movie, raters, client_for(admin_user))

        assert deleted == [HTTPStatus.NO_CONTENT]
        assert set(rated) <= {HTTPStatus.CREATED, HTTPStatus.NOT_FOUND}
        assert not Movie.objects.filter(pk=movie.pk).exists()
        assert not Rating.objects.filter(movie_id=movie.pk).exists()
    assert Rating.objects.filter(movie=bystander).count() == 5
    assert_aggregates_exact()


@pytest.mark.django_db
def test_movie_delete_of_a_movie_deleted_meanwhile_raises_does_not_exist():
    movie = MovieFactory.create()
    Movie.objects.filter(pk=movie.pk).delete()

    with pytest.raises(Movie.DoesNotExist):
        services.movie_delete(movie=movie)


def _delete_while_rerating(
    movie: Movie, raters: list[APIClient], admin: APIClient
) -> list[int]:
    """Delete ``movie`` while half its raters re-rate it and half unrate it."""
    url = reverse("ratings:movie-rating", args=[movie.pk])
    statuses: list[int] = []

    def change(rater: APIClient, unrate: bool) -> Callable[[], None]:
        def work() -> None:
            response = rater.delete(url) if unrate else rater.put(url, {"score": 5})
            statuses.append(response.status_code)

        return work

    def delete() -> None:
        response = admin.delete(reverse("movies:movie-detail", args=[movie.pk]))
        statuses.append(response.status_code)

    workers = [change(rater, n % 2 == 0) for n, rater in enumerate(raters)]
    assert run_in_threads([*workers, delete]) == []
    return statuses


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_movie_deleted_while_its_raters_rerate_and_unrate_it_keeps_counts_exact(
    client_for: Callable[[User | None], APIClient],
    admin_user: User,
    assert_aggregates_exact: Callable[[], None],
):
    users = UserFactory.create_batch(RATERS)
    raters = [client_for(user) for user in users]
    kept = MovieFactory.create()
    for rater in raters:
        rater.put(reverse("ratings:movie-rating", args=[kept.pk]), {"score": 3.0})

    for _round in range(ROUNDS):
        movie = MovieFactory.create()
        for rater in raters:
            rater.put(reverse("ratings:movie-rating", args=[movie.pk]), {"score": 2})

        statuses = _delete_while_rerating(movie, raters, client_for(admin_user))

        assert set(statuses) <= {
            HTTPStatus.OK,
            HTTPStatus.NO_CONTENT,
            HTTPStatus.NOT_FOUND,
        }
        assert not Movie.objects.filter(pk=movie.pk).exists()
    stored = User.objects.filter(pk__in=[u.pk for u in users])
    assert dict(stored.values_list("pk", "ratings_count")) == {u.pk: 1 for u in users}
    assert_aggregates_exact()
