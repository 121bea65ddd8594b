"""The ratings admin writes through the services, so aggregates stay exact."""

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from movies.models import Movie
from movies.tests.factories import MovieFactory
from ratings.models import Rating
from ratings.tests.factories import RatingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _count(movie_id: int) -> int:
    return Movie.objects.get(pk=movie_id).rating_count


def test_rating_changelist_search_and_filter_render(admin_site):
    rating = RatingFactory.create(score=Decimal("4.5"))
    url = reverse("admin:ratings_rating_changelist")

    listing = admin_site.get(url)
    searched = admin_site.get(url, {"q": rating.movie.title})
    by_email = admin_site.get(url, {"q": rating.user.email})
    filtered = admin_site.get(url, {"score": "4.5"})

    assert listing.status_code == HTTPStatus.OK
    for response in (searched, by_email, filtered):
        assert response.status_code == HTTPStatus.OK
        assert response.context["cl"].result_count == 1


def test_admin_changing_a_score_updates_aggregates(admin_site, assert_aggregates_exact):
    rating = RatingFactory.create(score=Decimal("1.0"), review="meh")
    url = reverse("admin:ratings_rating_change", args=[rating.pk])

    form = admin_site.get(url)
    response = admin_site.post(url, {"score": "4.0", "review": "better"})

    assert b'<option value="1.0" selected>' in form.content

    assert response.status_code == HTTPStatus.FOUND
    rating.refresh_from_db()
    assert (rating.score, rating.review) == (Decimal("4.0"), "better")
    movie = Movie.objects.get(pk=rating.movie_id)
    assert movie.rating_distribution["1.0"] == 0
    assert movie.rating_distribution["4.0"] == 1
    assert_aggregates_exact()


def test_admin_change_form_cannot_move_a_rating(admin_site):
    rating = RatingFactory.create()
    other = MovieFactory.create()
    url = reverse("admin:ratings_rating_change", args=[rating.pk])

    admin_site.post(url, {"score": "2.0", "movie": other.pk, "user": other.pk})

    rating.refresh_from_db()
    assert rating.movie_id != other.pk


def test_admin_cannot_add_a_rating_on_behalf_of_a_user(admin_site, user):
    movie = MovieFactory.create()
    changelist = admin_site.get(reverse("admin:ratings_rating_changelist"))

    response = admin_site.post(
        reverse("admin:ratings_rating_add"),
        {"user": user.pk, "movie": movie.pk, "score": "3.5", "review": ""},
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Rating.objects.exists()
    assert reverse("admin:ratings_rating_add") not in changelist.content.decode()


def test_admin_deleting_a_rating_updates_aggregates(
    admin_site, assert_aggregates_exact
):
    rating = RatingFactory.create()
    RatingFactory.create(movie=rating.movie)
    url = reverse("admin:ratings_rating_delete", args=[rating.pk])

    response = admin_site.post(url, {"post": "yes"})

    assert response.status_code == HTTPStatus.FOUND
    assert not Rating.objects.filter(pk=rating.pk).exists()
    assert _count(rating.movie_id) == 1
    assert_aggregates_exact()


def test_admin_bulk_delete_action_updates_aggregates(
    admin_site, assert_aggregates_exact
):
    movies = MovieFactory.create_batch(2)
    doomed = [RatingFactory.create(movie=movie) for movie in movies for _ in range(2)]
    kept = RatingFactory.create(movie=movies[0])

    response = admin_site.post(
        reverse("admin:ratings_rating_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [rating.pk for rating in doomed],
            "post": "yes",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    assert list(Rating.objects.all()) == [kept]
    assert [_count(movie.pk) for movie in movies] == [1, 0]
    assert_aggregates_exact()
