"""Cacheable reads answered from Redis as stored bytes, anonymous and per caller.

Every write path's effect on them is ``tests/test_catalogue_writes.py``'s and
``tests/test_user_writes.py``'s.
"""

import time
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from movieratings.middleware import REQUEST_ID_HEADER
from movieratings.throttling import AnonRateThrottle, UserRateThrottle
from movies.models import Movie
from movies.tests.factories import GenreFactory, MovieFactory, rate
from movies.tests.helpers import movie_url
from movies.views import GenreViewSet, MovieViewSet
from users.models import User
from users.tokens import RefreshToken
from watchlist.views import MyWatchlistViewSet

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

ClientFor = Callable[[User | None], APIClient]
LIST = reverse("movies:movie-list")
GENRES = reverse("movies:genre-list")


@pytest.fixture
def movie() -> Movie:
    movie = MovieFactory.create(genres=[GenreFactory.create(name="Drama")])
    rate(movie, "4.0")
    return movie


def _view_ran(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the view ran")


@pytest.fixture
def views_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the catalogue's views fail: only stored bytes can answer."""
    for view, action in [
        (MovieViewSet, "list"),
        (MovieViewSet, "retrieve"),
        (GenreViewSet, "list"),
    ]:
        monkeypatch.setattr(view, action, _view_ran)


def _same(first: Any, second: Any) -> None:
    """Stored bytes are the whole stack's answer: body and every header (but
    the request's own id)."""
    assert second.status_code == first.status_code == HTTPStatus.OK
    assert second.content == first.content
    assert _headers(second) == _headers(first)
    assert second[REQUEST_ID_HEADER] != first[REQUEST_ID_HEADER]


def _headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.items() if k != REQUEST_ID_HEADER}


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


def test_a_stored_response_carries_the_security_headers(
    api_client: APIClient, movie: Movie, request: pytest.FixtureRequest
) -> None:
    api_client.get(movie_url(movie))
    request.getfixturevalue("views_fail")
    stored = api_client.get(movie_url(movie))
    assert stored["X-Content-Type-Options"] == "nosniff"
    assert stored["Referrer-Policy"] == "same-origin"
    assert "Content-Security-Policy" in stored


def test_a_stored_response_answers_with_the_request_s_own_id(
    api_client: APIClient, movie: Movie
) -> None:
    api_client.get(LIST)
    api_client.get(LIST)
    assert api_client.get(LIST, HTTP_X_REQUEST_ID="abc-123")[REQUEST_ID_HEADER] == (
        "abc-123"
    )


@override_settings(CORS_ALLOWED_ORIGINS=["https://one.example", "https://two.example"])
def test_each_requesting_origin_gets_its_own_cors_headers(
    api_client: APIClient, movie: Movie
) -> None:
    for _ in range(2):
        one = api_client.get(LIST, HTTP_ORIGIN="https://one.example")
        two = api_client.get(LIST, HTTP_ORIGIN="https://two.example")
        other = api_client.get(LIST, HTTP_ORIGIN="https://evil.example")
        none = api_client.get(LIST)
    assert one["Access-Control-Allow-Origin"] == "https://one.example"
    assert two["Access-Control-Allow-Origin"] == "https://two.example"
    assert "Access-Control-Allow-Origin" not in other
    assert "Access-Control-Allow-Origin" not in none


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


# --- With a token ----------------------------------------------------------

WATCHLIST = reverse("watchlist:my-watchlist")


def test_a_repeated_read_with_a_token_is_answered_without_the_view(
    client_for: ClientFor, user: User, movie: Movie, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(user)
    client.put(reverse("watchlist:movie-watchlist", args=[movie.pk]))
    first = client.get(WATCHLIST)
    monkeypatch.setattr(MyWatchlistViewSet, "list", _view_ran)
    _same(first, client.get(WATCHLIST))


def test_each_caller_is_served_their_own_bytes(
    client_for: ClientFor, user: User, other_user: User, movie: Movie
) -> None:
    mine = client_for(user)
    mine.put(reverse("watchlist:movie-watchlist", args=[movie.pk]))
    mine.get(WATCHLIST)
    mine.get(WATCHLIST)
    theirs = client_for(other_user).get(WATCHLIST).json()
    assert theirs["count"] == 0
    assert mine.get(WATCHLIST).json()["count"] == 1


def _token_client(token: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.parametrize("tamper", ["signature", "expired", "refresh"])
def test_a_bad_token_is_refused_where_a_good_one_was_served(
    user: User, movie: Movie, tamper: str
) -> None:
    good = RefreshToken.for_user(user)
    _token_client(good.access_token).get(WATCHLIST)
    _token_client(good.access_token).get(WATCHLIST)
    if tamper == "signature":
        text = str(good.access_token)
        bad: Any = text[:-2] + ("AA" if not text.endswith("AA") else "BB")
    elif tamper == "expired":
        bad = good.access_token
        bad.set_exp(lifetime=-timedelta(seconds=1))
    else:
        bad = good  # A refresh token is no access token.
    response = _token_client(bad).get(WATCHLIST)
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_a_token_once_served_is_refused_when_it_expires(
    user: User, movie: Movie
) -> None:
    token = RefreshToken.for_user(user).access_token
    token.set_exp(lifetime=timedelta(seconds=1))
    client = _token_client(token)
    assert client.get(WATCHLIST).status_code == HTTPStatus.OK
    assert client.get(WATCHLIST).status_code == HTTPStatus.OK  # Stored.
    time.sleep(max(0.0, token["exp"] - time.time()) + 0.1)
    assert client.get(WATCHLIST).status_code == HTTPStatus.UNAUTHORIZED


def test_a_token_of_a_signed_out_session_is_refused_at_once(
    user: User, movie: Movie
) -> None:
    refresh = RefreshToken.for_user(user)
    client = _token_client(refresh.access_token)
    assert client.get(WATCHLIST).status_code == HTTPStatus.OK
    assert client.get(WATCHLIST).status_code == HTTPStatus.OK

    logout = client.post(reverse("users:auth-logout"), {"refresh": str(refresh)})

    assert logout.status_code == HTTPStatus.NO_CONTENT
    assert client.get(WATCHLIST).status_code == HTTPStatus.UNAUTHORIZED


def test_a_token_for_no_user_is_refused(db: None) -> None:
    token = AccessToken()
    token["user_id"] = "987654321"
    response = _token_client(token).get(WATCHLIST)
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_every_request_with_a_token_counts_once_against_the_user_rate(
    client_for: ClientFor, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        UserRateThrottle,
        "THROTTLE_RATES",
        {**UserRateThrottle.THROTTLE_RATES, "user": "3/min"},
    )
    client = client_for(user)
    statuses = [client.get(WATCHLIST).status_code for _ in range(4)]
    assert statuses == [HTTPStatus.OK] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]
    assert "Retry-After" in client.get(WATCHLIST)


@pytest.mark.parametrize(
    "name",
    [
        "ratings:my-ratings",
        "watchlist:my-watchlist",
        "diary:my-diary",
        "taste:my-stats",
        "recommendations:my-recommendations",
    ],
)
def test_a_repeated_read_with_a_token_costs_no_query(
    client_for: ClientFor,
    user: User,
    movie: Movie,
    name: str,
    django_assert_num_queries: Any,
) -> None:
    client = client_for(user)
    client.get(reverse(name))
    # Stored once every version it depends on is set (the first read of the
    # recommendations announces that no model is trained yet).
    first = client.get(reverse(name))
    with django_assert_num_queries(0):
        _same(first, client.get(reverse(name)))
