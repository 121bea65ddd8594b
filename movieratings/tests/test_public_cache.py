"""Anonymous catalogue reads answered from Redis as stored bytes."""

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from movieratings.throttling import AnonRateThrottle
from movies.models import Movie
from movies.tests.factories import GenreFactory, MovieFactory, rate
from movies.tests.helpers import movie_url
from movies.views import GenreViewSet, MovieViewSet
from users.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

ClientFor = Callable[[User | None], APIClient]
LIST = reverse("movies:movie-list")
GENRES = reverse("movies:genre-list")


@pytest.fixture
def movie() -> Movie:
    movie = MovieFactory.create(genres=[GenreFactory.create(name="Drama")])
    rate(movie, "4.0")
    return movie


@pytest.fixture
def views_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the catalogue's views fail: only stored bytes can answer."""

    def fail(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the view ran")

    for view, action in [
        (MovieViewSet, "list"),
        (MovieViewSet, "retrieve"),
        (GenreViewSet, "list"),
    ]:
        monkeypatch.setattr(view, action, fail)


def _same(first: Any, second: Any) -> None:
    assert second.status_code == first.status_code == HTTPStatus.OK
    assert second.content == first.content
    for header in ("Content-Type", "Vary", "ETag", "X-Frame-Options"):
        assert second.get(header) == first.get(header), header


@pytest.mark.parametrize("url", [LIST, f"{LIST}?search=heat&page_size=5", GENRES])
def test_a_repeated_anonymous_read_is_answered_without_the_view(
    api_client: APIClient, movie: Movie, url: str, request: pytest.FixtureRequest
) -> None:
    first = api_client.get(url)
    request.getfixturevalue("views_fail")
    _same(first, api_client.get(url))


def test_a_repeated_detail_is_answered_without_the_view(
    api_client: APIClient, movie: Movie, request: pytest.FixtureRequest
) -> None:
    first = api_client.get(movie_url(movie))
    request.getfixturevalue("views_fail")
    _same(first, api_client.get(movie_url(movie)))


def test_a_stored_detail_still_answers_304_for_its_etag(
    api_client: APIClient, movie: Movie
) -> None:
    etag = api_client.get(movie_url(movie))["ETag"]
    api_client.get(movie_url(movie))
    again = api_client.get(movie_url(movie), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == HTTPStatus.NOT_MODIFIED


def test_a_rating_shows_in_the_next_anonymous_reads(
    api_client: APIClient, client_for: ClientFor, user: User, movie: Movie
) -> None:
    api_client.get(movie_url(movie))
    api_client.get(movie_url(movie))
    response = client_for(user).put(
        reverse("ratings:movie-rating", args=[movie.pk]), {"score": 1.0}, format="json"
    )
    assert response.status_code == HTTPStatus.CREATED
    detail = api_client.get(movie_url(movie)).json()
    assert detail["rating_count"] == 2
    assert detail["average_rating"] == 2.5


def test_a_caller_with_a_token_is_never_served_the_anonymous_bytes(
    api_client: APIClient, client_for: ClientFor, user: User, movie: Movie
) -> None:
    api_client.get(movie_url(movie))
    api_client.get(movie_url(movie))
    body = client_for(user).get(movie_url(movie)).json()
    assert body["my_rating"] is None
    assert body["in_watchlist"] is False


def test_a_caller_asking_for_html_gets_what_django_answers_it(
    api_client: APIClient, movie: Movie
) -> None:
    # The browsable API where it is on (development), 406 where it is off.
    before = api_client.get(LIST, HTTP_ACCEPT="text/html")
    api_client.get(LIST)
    api_client.get(LIST)
    after = api_client.get(LIST, HTTP_ACCEPT="text/html")
    assert after.status_code == before.status_code
    assert after["Content-Type"] == before["Content-Type"]
    assert after.content == before.content


def test_other_origins_get_their_own_links(api_client: APIClient, movie: Movie) -> None:
    MovieFactory.create_batch(2)
    api_client.get(LIST, {"page_size": 1})
    other = api_client.get(LIST, {"page_size": 1}, HTTP_HOST="localhost")
    assert other.json()["next"].startswith("http://localhost/")


def test_every_request_counts_once_against_the_anonymous_rate(
    api_client: APIClient, movie: Movie, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        AnonRateThrottle,
        "THROTTLE_RATES",
        {**AnonRateThrottle.THROTTLE_RATES, "anon": "3/min"},
    )
    statuses = [api_client.get(LIST).status_code for _ in range(4)]
    assert statuses == [HTTPStatus.OK] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]
    assert "Retry-After" in api_client.get(LIST)
