"""Every write of a user's data shows in the responses cached for them.

With Redis, a signed-in caller's pages (profile, watchlist, diary, stats,
recommendations, a movie's detail with ``my_rating``) are served as stored
bytes per caller (``movieratings.response_cache``), and so are other users'
pages and a movie's ratings. Each case warms those reads (with tokens issued
before the write), writes through one path in transactions that really
commit, then reads again through the cache: every read must be what the
database says, read anew with an empty cache, and at least one must have
changed. A write that ends the rater's tokens shows as 401s.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from diary import services as diary
from diary.models import DiaryEntry
from imports.tests.history_files import Film, imdb_file, imdb_row
from movies.models import Movie
from movies.tests.factories import GenreFactory, MovieFactory
from ratings import services as ratings
from ratings.models import Rating
from tests.writes import (  # noqa: F401 (fast_password_hashing: an autouse fixture)
    assert_write_shows,
    fast_password_hashing,
    ok,
)
from users.models import Role, User
from users.tests.factories import DEFAULT_PASSWORD, UserFactory
from watchlist import services as watchlist

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@dataclass
class World:
    """The data each case starts from; ``rater`` owns what is read."""

    movie: Movie  # Rated by ``rater``.
    other: Movie  # On ``rater``'s watchlist, unrated.
    rater: User
    rating: Rating
    entry: DiaryEntry  # ``rater`` watched ``movie``.
    rater_api: APIClient  # ``rater``'s token, issued before the write.
    viewer_api: APIClient  # Another user's, reading ``rater``'s pages.
    admin_api: APIClient
    admin_site: Client


Reads = list[tuple[str, int, Any]]


def _reads(world: World) -> Reads:
    own = [
        reverse("movies:movie-detail", args=[world.movie.pk]),
        reverse("movies:movie-detail", args=[world.other.pk]),
        reverse("ratings:my-ratings"),
        reverse("watchlist:my-watchlist"),
        reverse("diary:my-diary"),
        reverse("taste:my-stats"),
        reverse("recommendations:my-recommendations"),
    ]
    others = [
        reverse(name, args=[world.rater.pk])
        for name in (
            "ratings:user-ratings",
            "watchlist:user-watchlist",
            "diary:user-diary",
            "taste:user-stats",
        )
    ]
    public = [reverse("ratings:movie-ratings", args=[world.movie.pk])]
    reads = [(url, world.rater_api.get(url)) for url in own]
    reads += [(url, world.viewer_api.get(url)) for url in others]
    reads += [(url, APIClient().get(url)) for url in public]
    return [
        (url, response.status_code, response.json() if response.content else None)
        for url, response in reads
    ]


@pytest.fixture
def world(client_for: Callable[[User | None], APIClient]) -> World:
    drama = GenreFactory.create(name="Drama", slug="drama")
    movie = MovieFactory.create(
        title="The Shawshank Redemption",
        year=1994,
        imdb_id="tt0111161",
        tmdb_id=278,
        genres=[drama],
    )
    other = MovieFactory.create(title="Heat", year=1995, genres=[drama])
    rater = UserFactory.create()
    rating = ratings.rating_create(
        user=rater, movie=movie, score=Decimal("4.0"), review="Hope."
    )
    watchlist.watchlist_add(user=rater, movie=other)
    entry = diary.diary_entry_create(
        user=rater, movie=movie, watched_on=date(2024, 5, 1)
    )
    admin = UserFactory.create(role=Role.ADMIN)
    site = Client()
    site.force_login(admin)
    return World(
        movie=movie,
        other=other,
        rater=rater,
        rating=rating,
        entry=entry,
        rater_api=client_for(rater),
        viewer_api=client_for(UserFactory.create()),
        admin_api=client_for(admin),
        admin_site=site,
    )


def _history_import(world: World) -> None:
    film = Film(0, "Heat", 1995, "tt0113277", None)
    world.other.imdb_id = film.imdb_id
    world.other.save()
    upload = SimpleUploadedFile("ratings.csv", imdb_file([imdb_row(film, 6)]))
    ok(
        world.rater_api.post(
            reverse("imports:history-import"), {"file": upload}, format="multipart"
        )
    )


def _orm_rename(user: User) -> None:
    stored = User.objects.get(pk=user.pk)
    stored.username = "renamed-by-the-orm"
    stored.save()


def _movie_rating(world: World, movie: Movie) -> str:
    return reverse("ratings:movie-rating", args=[movie.pk])


CASES: dict[str, Callable[[World], Any]] = {
    # --- Ratings ---------------------------------------------------------------
    "api rate a film": lambda w: ok(
        w.rater_api.put(_movie_rating(w, w.other), {"score": 2.5}, format="json")
    ),
    "api change a score": lambda w: ok(
        w.rater_api.put(_movie_rating(w, w.movie), {"score": 1.0}, format="json")
    ),
    "api change a review only": lambda w: ok(
        w.rater_api.put(
            _movie_rating(w, w.movie), {"score": 4.0, "review": "Fear."}, format="json"
        )
    ),
    "api unrate a film": lambda w: ok(w.rater_api.delete(_movie_rating(w, w.movie))),
    "api rating create (ratings)": lambda w: ok(
        w.rater_api.post(
            reverse("ratings:rating-list"), {"movie": w.other.pk, "score": 3.0}
        )
    ),
    "api rating change (ratings)": lambda w: ok(
        w.rater_api.patch(
            reverse("ratings:rating-detail", args=[w.rating.pk]), {"review": "Less."}
        )
    ),
    "api rating delete by an admin": lambda w: ok(
        w.admin_api.delete(reverse("ratings:rating-detail", args=[w.rating.pk]))
    ),
    "admin rating change": lambda w: ok(
        w.admin_site.post(
            reverse("admin:ratings_rating_change", args=[w.rating.pk]),
            {"score": "1.0", "review": ""},
        )
    ),
    "admin rating delete": lambda w: ok(
        w.admin_site.post(
            reverse("admin:ratings_rating_delete", args=[w.rating.pk]),
            {"post": "yes"},
        )
    ),
    "history import": _history_import,
    "ratings_import": lambda w: ratings.ratings_import(
        user=w.rater,
        items=[
            ratings.RatingImport(movie_id=w.movie.pk, score=Decimal("4.0"), review="")
        ],
    ),
    "ratings_delete": lambda w: ratings.ratings_delete(ratings=Rating.objects.all()),
    # --- Watchlist -------------------------------------------------------------
    "api watchlist add": lambda w: ok(
        w.rater_api.put(reverse("watchlist:movie-watchlist", args=[w.movie.pk]))
    ),
    "api watchlist remove": lambda w: ok(
        w.rater_api.delete(reverse("watchlist:movie-watchlist", args=[w.other.pk]))
    ),
    "watchlist_add_many": lambda w: watchlist.watchlist_add_many(
        user=w.rater, movies=[w.movie]
    ),
    # --- Diary -----------------------------------------------------------------
    "api diary entry": lambda w: ok(
        w.rater_api.post(
            reverse("diary:my-diary"),
            {"movie": w.other.pk, "watched_on": "2024-06-01"},
            format="json",
        )
    ),
    "api diary entry with a score": lambda w: ok(
        w.rater_api.post(
            reverse("diary:my-diary"),
            {"movie": w.other.pk, "watched_on": "2024-06-01", "score": 1.5},
            format="json",
        )
    ),
    "api diary entry change": lambda w: ok(
        w.rater_api.patch(
            reverse("diary:my-diary-entry", args=[w.entry.pk]),
            {"watched_on": "2024-05-02"},
            format="json",
        )
    ),
    "api diary entry delete": lambda w: ok(
        w.rater_api.delete(reverse("diary:my-diary-entry", args=[w.entry.pk]))
    ),
    "diary_entries_add_many": lambda w: diary.diary_entries_add_many(
        user=w.rater, entries=[(w.other, date(2023, 1, 1), None, "")]
    ),
    # --- The user row ----------------------------------------------------------
    "api username change": lambda w: ok(
        w.rater_api.patch(reverse("users:user-me"), {"username": "renamed"})
    ),
    "api password change": lambda w: ok(
        w.rater_api.post(
            reverse("users:user-password"),
            {"old_password": DEFAULT_PASSWORD, "new_password": "An0ther-Passw0rd!"},
        )
    ),
    "api deactivation by an admin": lambda w: ok(
        w.admin_api.patch(
            reverse("users:user-detail", args=[w.rater.pk]), {"is_active": False}
        )
    ),
    "api user delete": lambda w: ok(
        w.rater_api.delete(reverse("users:user-detail", args=[w.rater.pk]))
    ),
    "orm save of the user": lambda w: _orm_rename(w.rater),
    "api movie delete": lambda w: ok(
        w.admin_api.delete(reverse("movies:movie-detail", args=[w.movie.pk]))
    ),
}


@pytest.mark.parametrize("write", CASES.values(), ids=CASES.keys())
def test_write_shows_in_the_cached_reads_once_committed(
    world: World, write: Callable[[World], Any]
):
    assert_write_shows(lambda: _reads(world), lambda: write(world))


def test_cached_reads_are_served_from_the_cache(world: World):
    """The premise of the cases above: an unannounced write stays unseen."""
    before = _reads(world)
    with transaction.atomic():
        Rating.objects.filter(pk=world.rating.pk).update(review="Unannounced")
        DiaryEntry.objects.filter(pk=world.entry.pk).update(watched_on=date(2020, 1, 1))

    assert _reads(world) == before


def test_an_admin_demoted_no_longer_reads_another_users_recommendations(
    client_for: Callable[[User | None], APIClient], admin_client: APIClient
):
    admin, someone = UserFactory.create(role=Role.ADMIN), UserFactory.create()
    reader = client_for(admin)
    url = reverse("recommendations:user-recommendations", args=[someone.pk])
    assert reader.get(url).status_code == HTTPStatus.OK
    assert reader.get(url).status_code == HTTPStatus.OK  # Stored by now.

    demoted = admin_client.patch(
        reverse("users:user-detail", args=[admin.pk]), {"role": "basic"}
    )

    assert demoted.status_code == HTTPStatus.OK
    assert reader.get(url).status_code == HTTPStatus.FORBIDDEN
