"""Cached catalogue reads: hits, exact invalidation, outages and ETags."""

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.core import serializers
from django.core.cache import cache, caches
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from movies import cache as movie_cache
from movies.cache import CatalogueCache, movie_version_key
from movies.models import Movie
from movies.tests.factories import GenreFactory, MovieFactory, rate
from movies.tests.helpers import movie_url
from ratings.services import rating_create
from users.models import User

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], APIClient]
LIST = reverse("movies:movie-list")


@pytest.fixture
def movie() -> Movie:
    movie = MovieFactory.create(genres=[GenreFactory.create(name="Drama")])
    rate(movie, "4.0")
    return movie


def _rating_url(movie: Movie) -> str:
    return reverse("ratings:movie-rating", args=[movie.pk])


def _listed(client: APIClient, movie: Movie) -> dict[str, Any]:
    results = client.get(LIST, {"ordering": "-rating_count"}).json()["results"]
    return next(item for item in results if item["id"] == movie.pk)


def _warm(client: APIClient, movie: Movie) -> None:
    client.get(movie_url(movie))
    client.get(LIST, {"ordering": "-rating_count"})


def test_cached_detail_is_served_again_unchanged(api_client, movie):
    first = api_client.get(movie_url(movie))

    second = api_client.get(movie_url(movie))

    assert second.json() == first.json()


WRITES: dict[str, Callable[[APIClient, APIClient, Movie, User], Any]] = {
    "rating created": lambda user_c, admin_c, movie, user: user_c.put(
        _rating_url(movie), {"score": 1.0}
    ),
    "rating created via ratings/": lambda user_c, admin_c, movie, user: user_c.post(
        reverse("ratings:rating-list"), {"movie": movie.pk, "score": 1.0}
    ),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_rating_create_shows_at_once_in_detail_and_list(
    client_for: ClientFor, user, admin_user, movie, write
):
    reader = client_for(None)
    _warm(reader, movie)

    response = write(client_for(user), client_for(admin_user), movie, user)

    assert response.status_code in {HTTPStatus.OK, HTTPStatus.CREATED}
    detail = reader.get(movie_url(movie)).json()
    assert detail["rating_count"] == 2
    assert detail["average_rating"] == 2.5
    assert detail["rating_distribution"]["1.0"] == 1
    assert _listed(reader, movie)["rating_count"] == 2


def test_rating_update_and_delete_show_at_once(client_for: ClientFor, user, movie):
    reader, writer = client_for(None), client_for(user)
    writer.put(_rating_url(movie), {"score": 1.0})
    _warm(reader, movie)

    writer.put(_rating_url(movie), {"score": 5.0})
    assert reader.get(movie_url(movie)).json()["average_rating"] == 4.5
    assert _listed(reader, movie)["average_rating"] == 4.5

    writer.delete(_rating_url(movie))
    assert reader.get(movie_url(movie)).json()["rating_count"] == 1
    assert _listed(reader, movie)["rating_count"] == 1


def test_user_deletion_shows_at_once(client_for: ClientFor, user, movie):
    rating_create(user=user, movie=movie, score=Decimal("1.0"))
    reader = client_for(None)
    _warm(reader, movie)

    client_for(user).delete(reverse("users:user-detail", args=[user.pk]))

    assert reader.get(movie_url(movie)).json()["rating_count"] == 1
    assert _listed(reader, movie)["rating_count"] == 1


def test_movie_and_genre_changes_show_at_once(client_for: ClientFor, admin_user, movie):
    reader, admin = client_for(None), client_for(admin_user)
    _warm(reader, movie)
    genre = movie.genres.get()

    admin.patch(movie_url(movie), {"title": "Renamed"})
    admin.patch(reverse("movies:genre-detail", args=[genre.pk]), {"name": "Noir"})

    detail = reader.get(movie_url(movie)).json()
    assert detail["title"] == "Renamed"
    assert detail["genres"][0]["name"] == "Noir"
    assert _listed(reader, movie)["title"] == "Renamed"
    assert (
        reader.get(reverse("movies:genre-list")).json()["results"][0]["name"] == "Noir"
    )


def test_fixture_loads_show_at_once(api_client, movie, tmp_path):
    _warm(api_client, movie)
    genre = movie.genres.get()
    movie.title, genre.name = "Renamed by a fixture", "Renamed genre"
    fixture = tmp_path / "changes.json"
    fixture.write_text(serializers.serialize("json", [genre, movie]))

    call_command("loaddata", str(fixture), verbosity=0)

    for shown in (api_client.get(movie_url(movie)).json(), _listed(api_client, movie)):
        assert shown["title"] == "Renamed by a fixture"
        assert shown["genres"][0]["name"] == "Renamed genre"


def test_weighted_rating_follows_ratings_of_other_movies(client_for: ClientFor, user):
    watched, other = MovieFactory.create(), MovieFactory.create()
    rate(watched, "4.0")
    rate(other, "4.0")
    reader = client_for(None)
    before = reader.get(movie_url(watched)).json()["weighted_rating"]

    client_for(user).put(_rating_url(other), {"score": 0.5})

    after = reader.get(movie_url(watched)).json()["weighted_rating"]
    assert after < before


@pytest.fixture(autouse=True)
def _catalogue_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve each test from a catalogue cache of its own.

    A bump that a test's outage leaves pending stays in that test's instance,
    which retries it before its reads only: no retry reaches into the next test.
    """
    own = CatalogueCache(timeout=60, retry_seconds=3600)
    monkeypatch.setattr(movie_cache, "catalogue", own)


def test_missed_invalidation_never_serves_stale_detail(
    client_for: ClientFor, user, movie, monkeypatch
):
    reader = client_for(None)
    _warm(reader, movie)
    monkeypatch.setattr(cache, "incr", lambda *args, **kwargs: None)

    client_for(user).put(_rating_url(movie), {"score": 1.0})

    assert reader.get(movie_url(movie)).json()["rating_count"] == 2


def test_missed_invalidation_is_retried_once_the_cache_answers(
    client_for: ClientFor, user, movie, monkeypatch, django_assert_num_queries
):
    reader = client_for(None)
    _warm(reader, movie)
    with monkeypatch.context() as outage:
        outage.setattr(cache, "incr", lambda *args, **kwargs: None)
        client_for(user).put(_rating_url(movie), {"score": 1.0})

    assert _listed(reader, movie)["rating_count"] == 2
    with django_assert_num_queries(0):  # Nothing left pending: cached again.
        assert _listed(reader, movie)["rating_count"] == 2


def test_missed_invalidation_is_retried_while_no_request_comes(movie):
    catalogue = CatalogueCache(timeout=60, retry_seconds=0.1)
    version_key = movie_version_key(movie.pk)
    reachable = caches["default"]
    before = reachable.get(version_key)
    with override_settings(CACHES=UNREACHABLE_REDIS):  # In every thread.
        catalogue.invalidate_movies([movie.pk])
        assert reachable.get(version_key) == before

    # The cache answers again; nothing reads through this instance.
    deadline = time.monotonic() + 5
    while cache.get(version_key) == before and time.monotonic() < deadline:
        time.sleep(0.02)

    assert cache.get(version_key) != before


UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        # Nothing listens on port 1: every cache call fails at once.
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 0.2,
            "SOCKET_TIMEOUT": 0.2,
            "IGNORE_EXCEPTIONS": True,
        },
    }
}


def test_unreachable_redis_gives_correct_answers(client_for: ClientFor, user, movie):
    expected = client_for(None).get(movie_url(movie)).json()

    with override_settings(CACHES=UNREACHABLE_REDIS):
        reader, writer = client_for(None), client_for(user)
        assert reader.get(movie_url(movie)).json() == expected
        assert reader.get(LIST).status_code == HTTPStatus.OK
        assert reader.get(reverse("movies:genre-list")).status_code == HTTPStatus.OK
        rated = writer.put(_rating_url(movie), {"score": 2.0})
        assert rated.status_code == HTTPStatus.CREATED
        assert reader.get(movie_url(movie)).json()["rating_count"] == 2
        assert _listed(reader, movie)["rating_count"] == 2


@pytest.mark.parametrize("url", [LIST, reverse("movies:genre-list")])
def test_list_answers_304_for_a_matching_etag(api_client, movie, url):
    first = api_client.get(url)
    assert first.has_header("ETag")

    again = api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert again.content == b""


def test_detail_etag_changes_when_the_movie_is_rated(
    client_for: ClientFor, user, movie
):
    reader = client_for(None)
    first = reader.get(movie_url(movie))
    assert first.has_header("ETag")
    assert "Authorization" in first["Vary"]
    assert (
        reader.get(movie_url(movie), HTTP_IF_NONE_MATCH=first["ETag"]).status_code
        == HTTPStatus.NOT_MODIFIED
    )

    client_for(user).put(_rating_url(movie), {"score": 3.0})

    changed = reader.get(movie_url(movie), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == HTTPStatus.OK
    assert changed["ETag"] != first["ETag"]


@pytest.mark.redis
def test_redis_cache_serves_hits_and_invalidates_exactly(
    client_for: ClientFor, user, movie, django_assert_num_queries
):
    reader = client_for(None)
    reader.get(LIST)
    with django_assert_num_queries(0):
        reader.get(LIST)

    client_for(user).put(_rating_url(movie), {"score": 5.0})

    assert reader.get(movie_url(movie)).json()["rating_count"] == 2
    assert (
        next(
            item
            for item in reader.get(LIST).json()["results"]
            if item["id"] == movie.pk
        )["rating_count"]
        == 2
    )


def _hot_key() -> str:
    return f"test:hot:{uuid.uuid4().hex}"


def test_concurrent_misses_of_a_hot_entry_compute_it_once():
    # Waiters give up after this long; far above what the fill below takes.
    catalogue = CatalogueCache(timeout=60, fill_wait_seconds=5.0)
    key, readers = _hot_key(), 6
    computed: list[int] = []
    start = threading.Barrier(readers)

    def compute() -> str:
        computed.append(1)
        time.sleep(0.1)  # A slow query, while the other readers arrive.
        return "page"

    def read() -> str:
        start.wait()
        return catalogue.get_or_compute(key, 1, compute)

    with ThreadPoolExecutor(readers) as pool:
        results = list(pool.map(lambda _: read(), range(readers)))

    assert results == ["page"] * readers
    assert len(computed) == 1


def test_a_fill_at_an_old_version_does_not_hold_up_the_new_one():
    # Waiting for the old fill would take all of this.
    catalogue = CatalogueCache(timeout=60, fill_wait_seconds=5.0)
    key = _hot_key()
    filling, release = threading.Event(), threading.Event()

    def old_fill() -> str:  # A reader that started before a write.
        filling.set()
        release.wait(10)
        return "old"

    other = threading.Thread(target=catalogue.get_or_compute, args=(key, 1, old_fill))
    other.start()
    filling.wait(5)
    started = time.monotonic()
    try:
        value = catalogue.get_or_compute(key, 2, lambda: "fresh")
    finally:
        elapsed = time.monotonic() - started
        release.set()
        other.join(5)

    assert value == "fresh"
    assert elapsed < 2  # Computed at once, not after waiting for the old fill.


def test_a_failed_fill_holds_up_no_one():
    catalogue = CatalogueCache(timeout=60, fill_wait_seconds=5.0)
    key = _hot_key()
    filling = threading.Event()

    def failing_fill() -> str:
        filling.set()
        time.sleep(0.1)  # The other reader arrives and waits meanwhile.
        raise RuntimeError("database went away")

    def first() -> None:
        with pytest.raises(RuntimeError):
            catalogue.get_or_compute(key, 1, failing_fill)

    other = threading.Thread(target=first)
    other.start()
    filling.wait(5)
    started = time.monotonic()
    value = catalogue.get_or_compute(key, 1, lambda: "page")
    other.join(5)

    assert value == "page"
    assert time.monotonic() - started < 2  # Not the 5 s the fill could have taken.
    assert cache.get(f"{key}:1:fill") is None  # The failed fill's lock is gone.
