"""``in_watchlist`` on the movie detail, within the detail's query budgets."""

from decimal import Decimal

import pytest
from django.urls import reverse

from movies.tests.factories import GenreFactory, MovieFactory
from ratings.services import rating_create
from users.tests.factories import UserFactory
from watchlist.services import watchlist_add

pytestmark = pytest.mark.django_db


def _url(movie) -> str:
    return reverse("movies:movie-detail", args=[movie.pk])


def test_anonymous_callers_see_in_watchlist_false(api_client, user):
    movie = MovieFactory.create()
    watchlist_add(user=user, movie=movie)

    assert api_client.get(_url(movie)).json()["in_watchlist"] is False


@pytest.mark.parametrize("cached", [False, True], ids=["uncached", "cached"])
def test_in_watchlist_is_the_callers_own(client_for, cached):
    ann, bob = UserFactory.create(), UserFactory.create()
    movie = MovieFactory.create()
    watchlist_add(user=ann, movie=movie)
    if cached:
        client_for(None).get(_url(movie))

    assert client_for(ann).get(_url(movie)).json()["in_watchlist"] is True
    assert client_for(bob).get(_url(movie)).json()["in_watchlist"] is False


def test_the_cached_detail_holds_no_callers_watchlist(client_for):
    ann = UserFactory.create()
    movie = MovieFactory.create()
    watchlist_add(user=ann, movie=movie)
    rating_create(user=ann, movie=MovieFactory.create(), score=Decimal(3))

    # Ann's request fills the cache; the next callers must not see her list.
    assert client_for(ann).get(_url(movie)).json()["in_watchlist"] is True

    assert client_for(None).get(_url(movie)).json()["in_watchlist"] is False
    other = client_for(UserFactory.create())
    assert other.get(_url(movie)).json()["in_watchlist"] is False


def test_in_watchlist_follows_adding_and_removing(user, user_client):
    movie = MovieFactory.create()
    url = reverse("watchlist:movie-watchlist", args=[movie.pk])
    assert user_client.get(_url(movie)).json()["in_watchlist"] is False

    user_client.put(url)
    on_list = user_client.get(_url(movie)).json()["in_watchlist"]
    user_client.delete(url)
    off_list = user_client.get(_url(movie)).json()["in_watchlist"]

    assert (on_list, off_list) == (True, False)


def test_in_watchlist_and_my_rating_keep_the_detail_query_budgets(
    client_for, django_assert_num_queries, response_cache_off
):
    user = UserFactory.create()
    movie = MovieFactory.create(genres=GenreFactory.create_batch(3))
    rated = MovieFactory.create(genres=GenreFactory.create_batch(3))
    watchlist_add(user=user, movie=movie)
    rating_create(user=user, movie=rated, score=Decimal("4.5"))
    watchlist_add(user=user, movie=rated)  # Listed again after rating it.
    client = client_for(user)

    # Uncached: user + the movie's row with C, rating and watchlist + genres.
    with django_assert_num_queries(3):
        body = client.get(_url(rated)).json()
    assert (body["in_watchlist"], body["my_rating"]["score"]) == (True, 4.5)
    # Cached: the user, then rating and watchlist in one query.
    with django_assert_num_queries(2):
        body = client.get(_url(rated)).json()
    assert (body["in_watchlist"], body["my_rating"]["score"]) == (True, 4.5)
    with django_assert_num_queries(3):
        body = client.get(_url(movie)).json()
    assert (body["in_watchlist"], body["my_rating"]) == (True, None)
    with django_assert_num_queries(0):
        assert client_for(None).get(_url(movie)).json()["in_watchlist"] is False
