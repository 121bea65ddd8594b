"""``movies/{id}/watchlist/``, ``users/me/watchlist/`` and ``users/{id}/watchlist/``."""

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from movies.tests.factories import GenreFactory, MovieFactory, rate
from ratings.tests.factories import RatingFactory
from users.models import User
from users.tests.factories import UserFactory
from watchlist.models import WatchlistEntry
from watchlist.services import watchlist_add
from watchlist.tests.factories import WatchlistEntryFactory

pytestmark = pytest.mark.django_db

ENTRY = "watchlist:movie-watchlist"
MINE = "watchlist:my-watchlist"
THEIRS = "watchlist:user-watchlist"
SUMMARY_FIELDS = {
    "id",
    "title",
    "year",
    "genres",
    "average_rating",
    "weighted_rating",
    "rating_count",
}


@pytest.fixture
def clients(api_client, client_for, user, other_user, admin_user):
    return {
        "anonymous": api_client,
        "other": client_for(other_user),
        "owner": client_for(user),
        "admin": client_for(admin_user),
    }


def _listed(user) -> set[int]:
    return set(
        WatchlistEntry.objects.filter(user=user).values_list("movie_id", flat=True)
    )


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("anonymous", HTTPStatus.UNAUTHORIZED),
        ("other", HTTPStatus.OK),
        ("owner", HTTPStatus.OK),
        ("admin", HTTPStatus.OK),
    ],
)
@pytest.mark.parametrize("route", [MINE, THEIRS])
def test_watchlist_lists_permissions(clients, user, route, caller, expected):
    WatchlistEntryFactory.create(user=user)
    url = reverse(route) if route == MINE else reverse(route, args=[user.pk])

    response = clients[caller].get(url)

    assert response.status_code == expected
    if expected == HTTPStatus.UNAUTHORIZED:
        assert "WWW-Authenticate" in response
    elif route == THEIRS or caller == "owner":
        assert response.json()["count"] == 1


@pytest.mark.parametrize(
    ("caller", "put", "delete"),
    [
        ("anonymous", HTTPStatus.UNAUTHORIZED, HTTPStatus.UNAUTHORIZED),
        # Each caller acts on their own watchlist: the owner's entry is theirs
        # alone, so for anyone else there is nothing to remove.
        ("other", HTTPStatus.CREATED, HTTPStatus.NO_CONTENT),
        ("owner", HTTPStatus.OK, HTTPStatus.NO_CONTENT),
        ("admin", HTTPStatus.CREATED, HTTPStatus.NO_CONTENT),
    ],
)
def test_watchlist_entry_permissions(clients, user, caller, put, delete):
    movie = WatchlistEntryFactory.create(user=user).movie
    url = reverse(ENTRY, args=[movie.pk])

    assert clients[caller].put(url).status_code == put
    assert clients[caller].delete(url).status_code == delete
    if caller not in {"owner", "anonymous"}:
        assert _listed(user) == {movie.pk}


def test_put_adds_the_movie_with_its_summary_then_answers_200(user, user_client):
    drama = GenreFactory.create(name="Drama")
    movie = MovieFactory.create(title="Heat", year=1995, genres=[drama])
    rate(movie, "4.0", "3.0")
    url = reverse(ENTRY, args=[movie.pk])

    first = user_client.put(url)
    second = user_client.put(url)

    assert first.status_code == HTTPStatus.CREATED
    assert second.status_code == HTTPStatus.OK
    body = first.json()
    assert set(body) == {"movie", "added_at"}
    assert body["movie"] == {
        "id": movie.pk,
        "title": "Heat",
        "year": 1995,
        "genres": [{"id": drama.pk, "name": "Drama", "slug": drama.slug}],
        "average_rating": 3.5,
        "weighted_rating": 3.5,  # C is 3.5: this movie's ratings are all.
        "rating_count": 2,
    }
    assert second.json() == body
    assert _listed(user) == {movie.pk}


def test_delete_removes_the_movie_then_answers_404(user, user_client):
    movie = WatchlistEntryFactory.create(user=user).movie
    url = reverse(ENTRY, args=[movie.pk])

    assert user_client.delete(url).status_code == HTTPStatus.NO_CONTENT
    response = user_client.delete(url)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert set(response.json()) == {"detail", "code", "fields"}
    assert _listed(user) == set()


@pytest.mark.parametrize("method", ["put", "delete"])
def test_watchlist_of_an_unknown_movie_is_404(user_client, method):
    movie = MovieFactory.create()
    url = reverse(ENTRY, args=[movie.pk])
    movie.delete()

    response = getattr(user_client, method)(url)

    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("method", ["get", "post", "patch"])
def test_watchlist_entry_other_methods_are_405(user_client, method):
    url = reverse(ENTRY, args=[MovieFactory.create().pk])

    assert getattr(user_client, method)(url).status_code == (
        HTTPStatus.METHOD_NOT_ALLOWED
    )


@pytest.mark.parametrize(
    "rate_it",
    [
        lambda client, movie: client.put(
            reverse("ratings:movie-rating", args=[movie.pk]),
            {"score": 4.0},
            format="json",
        ),
        lambda client, movie: client.post(
            reverse("ratings:rating-list"),
            {"movie": movie.pk, "score": 4.0},
            format="json",
        ),
        lambda client, movie: client.post(
            reverse("diary:my-diary"),
            {"movie": movie.pk, "watched_on": "2024-01-02", "score": 4.0},
            format="json",
        ),
    ],
    ids=["put-rating", "post-ratings", "diary-with-score"],
)
def test_rating_through_the_api_takes_the_movie_off_the_watchlist(
    user, user_client, rate_it
):
    movie, kept = MovieFactory.create(), MovieFactory.create()
    for film in (movie, kept):
        watchlist_add(user=user, movie=film)

    response = rate_it(user_client, movie)

    assert response.status_code == HTTPStatus.CREATED
    listed = user_client.get(reverse(MINE)).json()["results"]
    assert [item["movie"]["id"] for item in listed] == [kept.pk]


def test_user_watchlist_lists_that_users_films(user_client, other_user):
    theirs = WatchlistEntryFactory.create(user=other_user)
    WatchlistEntryFactory.create()

    response = user_client.get(reverse(THEIRS, args=[other_user.pk]))

    results = response.json()["results"]
    assert [item["movie"]["id"] for item in results] == [theirs.movie_id]
    assert set(results[0]["movie"]) == SUMMARY_FIELDS


def test_user_watchlist_of_unknown_or_deactivated_user_is_404(
    user_client, admin_client
):
    missing = UserFactory.create()
    User.objects.filter(pk=missing.pk).delete()
    inactive = UserFactory.create(is_active=False)
    WatchlistEntryFactory.create(user=inactive)

    assert user_client.get(reverse(THEIRS, args=[missing.pk])).status_code == 404
    assert user_client.get(reverse(THEIRS, args=[inactive.pk])).status_code == 404
    assert admin_client.get(reverse(THEIRS, args=[inactive.pk])).json()["count"] == 1


@pytest.fixture
def listed(user):
    """``user``'s watchlist, added in the order a, b, c, d."""
    drama, crime = GenreFactory.create(slug="drama"), GenreFactory.create(slug="crime")
    films = {
        "a": ("Zodiac", [drama, crime], ["4.0"]),
        "b": ("Alien", [drama], ["5.0", "5.0"]),
        "c": ("Memento", [crime], []),
        "d": ("Brazil", [drama, crime], ["2.0"]),
    }
    entries = {}
    for name, (title, genres, scores) in films.items():
        movie = MovieFactory.create(title=title, genres=genres)
        rate(movie, *scores)
        entries[name], _ = watchlist_add(user=user, movie=movie)
    return entries


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["d", "c", "b", "a"]),
        ({"ordering": ""}, ["d", "c", "b", "a"]),
        ({"ordering": "-added_at"}, ["d", "c", "b", "a"]),
        ({"ordering": "added_at"}, ["a", "b", "c", "d"]),
        ({"ordering": "movie__title"}, ["b", "d", "c", "a"]),
        # b two 5.0s, a 4.0, d 2.0; the unrated c last.
        ({"ordering": "-weighted_rating"}, ["b", "a", "d", "c"]),
        ({"genre": "drama"}, ["d", "b", "a"]),
        ({"genre": "drama,crime"}, ["d", "a"]),
        ({"genre": ["drama", "crime"], "ordering": "added_at"}, ["a", "d"]),
        ({"genre": "no-such-genre"}, []),
        ({"genre": ""}, ["d", "c", "b", "a"]),
    ],
)
def test_my_watchlist_ordering_and_genre_filter(user_client, listed, params, expected):
    names = {entry.movie_id: name for name, entry in listed.items()}

    response = user_client.get(reverse(MINE), params)

    assert response.status_code == HTTPStatus.OK
    assert [names[item["movie"]["id"]] for item in response.json()["results"]] == (
        expected
    )


@pytest.mark.parametrize(
    "params",
    [
        {"ordering": "title"},
        {"ordering": "-movie__title"},
        {"ordering": "weighted_rating"},
        {"page": "abc"},
        {"page_size": "0"},
    ],
)
def test_my_watchlist_with_invalid_parameter_is_a_400(user_client, params):
    response = user_client.get(reverse(MINE), params)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == list(params)


@pytest.mark.parametrize("rows", [1, 20])
@pytest.mark.parametrize("route", [MINE, THEIRS])
def test_watchlist_queries_do_not_grow_with_rows(
    user, user_client, django_assert_num_queries, rows, route
):
    genres = GenreFactory.create_batch(2)
    for _ in range(rows):
        movie = MovieFactory.create(genres=genres)
        RatingFactory.create(movie=movie, score=Decimal(3))
        watchlist_add(user=user, movie=movie)
    url = reverse(MINE) if route == MINE else reverse(THEIRS, args=[user.pk])

    # auth user, (list owner), count, page with movies and C, genres
    with django_assert_num_queries(4 if route == MINE else 5):
        response = user_client.get(url, {"ordering": "-weighted_rating"})

    assert len(response.json()["results"]) == rows
    assert all(item["movie"]["weighted_rating"] for item in response.json()["results"])


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [
        (b"{", "application/json", HTTPStatus.BAD_REQUEST),
        (b"[1]", "application/json", HTTPStatus.BAD_REQUEST),
        (b"movie", "text/plain", HTTPStatus.UNSUPPORTED_MEDIA_TYPE),
    ],
)
def test_put_with_a_bad_body_is_refused_and_adds_nothing(
    user, user_client, raw, content_type, status
):
    movie = MovieFactory.create()

    response = user_client.generic(
        "PUT", reverse(ENTRY, args=[movie.pk]), raw, content_type=content_type
    )

    assert response.status_code == status
    assert _listed(user) == set()


def test_put_with_an_object_body_ignores_it(user, user_client):
    movie = MovieFactory.create()

    response = user_client.put(
        reverse(ENTRY, args=[movie.pk]), {"added_at": "2001-01-01"}, format="json"
    )

    assert response.status_code == HTTPStatus.CREATED
    assert not response.json()["added_at"].startswith("2001")


@pytest.mark.parametrize("listed", [True, False])
def test_options_describes_the_route(user, user_client, listed):
    movie = MovieFactory.create()
    if listed:
        watchlist_add(user=user, movie=movie)

    response = user_client.options(reverse(ENTRY, args=[movie.pk]))

    assert response.status_code == HTTPStatus.OK
