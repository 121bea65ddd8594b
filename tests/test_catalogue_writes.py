"""Every write path of the catalogue shows in the cached reads once committed.

Each case warms the cached reads (the movie list, the genre list and one
movie's detail), writes through one path in transactions that really commit,
then reads again through the cache: every read must be what the database
says, read anew with an empty cache, and at least one must have changed.

Writes that change nothing these reads show are not cases: the watchlist
(``in_watchlist`` is the caller's, never cached), diary entries without a
score and their edits (the rating stays), imported diary and watchlist rows,
and training the recommender.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core import serializers
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from imports.tests.history_files import Film, imdb_file, imdb_row
from movies.models import Genre, Movie
from movies.tests.factories import GenreFactory, MovieFactory
from ratings import services as ratings
from ratings.models import Rating
from ratings.tests.test_import_movielens import write_dataset
from tests.writes import (  # noqa: F401 (fast_password_hashing: an autouse fixture)
    assert_write_shows,
    fast_password_hashing,
    ok,
)
from users.models import Role, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class World:
    """The catalogue each case starts from, and who may write to it."""

    drama: Genre
    crime: Genre
    movie: Movie  # Rated by ``rater``; its detail is the detail read.
    other: Movie  # Unrated, in ``crime``.
    rater: User
    rating: Rating
    newcomer: User  # Has rated nothing yet.
    api: Callable[[User], APIClient]
    admin_api: APIClient
    admin_site: Client
    tmp_path: Path


Reads = list[tuple[int, Any]]


def _reads(world: World) -> Reads:
    reader = APIClient()
    urls = [
        reverse("movies:movie-list"),
        reverse("movies:genre-list"),
        reverse("movies:movie-detail", args=[world.movie.pk]),
    ]
    return [
        (response.status_code, response.json())
        for response in (reader.get(url) for url in urls)
    ]


@pytest.fixture
def world(client_for: Callable[[User | None], APIClient], tmp_path: Path) -> World:
    drama = GenreFactory.create(name="Drama", slug="drama")
    crime = GenreFactory.create(name="Crime", slug="crime")
    # MovieLens' film 1 (write_dataset) by its IMDb id: the import merges it.
    movie = MovieFactory.create(
        title="The Shawshank Redemption",
        year=1994,
        imdb_id="tt0111161",
        tmdb_id=278,
        genres=[drama],
    )
    # No external ids that a fixture or a data set could hold too.
    other = MovieFactory.create(
        title="Heat", year=1995, imdb_id=None, tmdb_id=None, genres=[crime]
    )
    rater = UserFactory.create()
    rating = ratings.rating_create(user=rater, movie=movie, score=Decimal("4.0"))
    admin = UserFactory.create(role=Role.ADMIN)
    site = Client()
    site.force_login(admin)
    return World(
        drama=drama,
        crime=crime,
        movie=movie,
        other=other,
        rater=rater,
        rating=rating,
        newcomer=UserFactory.create(),
        api=client_for,
        admin_api=client_for(admin),
        admin_site=site,
        tmp_path=tmp_path,
    )


def _movie_url(movie: Movie) -> str:
    return reverse("movies:movie-detail", args=[movie.pk])


def _genre_url(genre: Genre) -> str:
    return reverse("movies:genre-detail", args=[genre.pk])


def _my_rating_url(movie: Movie) -> str:
    return reverse("ratings:movie-rating", args=[movie.pk])


def _admin_form(world: World, **overrides: Any) -> dict[str, Any]:
    movie = world.movie
    return {
        "title": movie.title,
        "year": movie.year,
        "genres": [genre.pk for genre in movie.genres.all()],
        "overview": movie.overview,
        "runtime_minutes": "",
        "imdb_id": movie.imdb_id,
        "tmdb_id": movie.tmdb_id,
        "_save": "Save",
        **overrides,
    }


def _admin_bulk_delete(world: World, model: str, pks: list[int]) -> None:
    ok(
        world.admin_site.post(
            reverse(f"admin:movies_{model}_changelist"),
            {"action": "delete_selected", "_selected_action": pks, "post": "yes"},
        )
    )


def _fixture(world: World, objects: list[Any]) -> str:
    path = world.tmp_path / "fixture.json"
    path.write_text(serializers.serialize("json", objects))
    return str(path)


def _loaddata_changed_rows(world: World) -> None:
    world.movie.title, world.drama.name = "Renamed by a fixture", "Melodrama"
    call_command("loaddata", _fixture(world, [world.drama, world.movie]), verbosity=0)


def _loaddata_new_genre(world: World) -> None:
    genre = Genre(name="Western", slug="western")
    call_command("loaddata", _fixture(world, [genre]), verbosity=0)


def _tamper_aggregates(world: World) -> None:
    # Drift that no write path makes: what the rebuild paths exist to repair.
    Movie.objects.filter(pk=world.movie.pk).update(rating_count=7)


def _erase_year(world: World) -> None:
    Movie.objects.filter(pk=world.movie.pk).update(year=None)


def _import_movielens(*args: str) -> Callable[[World], None]:
    def write(world: World) -> None:
        dataset = write_dataset(world.tmp_path / "ml")
        call_command("import_movielens", str(dataset), *args, stdout=StringIO())

    return write


def _history_import(world: World) -> None:
    movie = world.movie
    assert movie.imdb_id is not None
    film = Film(0, movie.title, movie.year, movie.imdb_id, movie.tmdb_id)
    upload = SimpleUploadedFile("ratings.csv", imdb_file([imdb_row(film, 2)]))
    ok(
        world.api(world.newcomer).post(
            reverse("imports:history-import"), {"file": upload}, format="multipart"
        )
    )


def _ratings_import(world: World) -> None:
    ratings.ratings_import(
        user=world.newcomer,
        items=[
            ratings.RatingImport(movie_id=world.movie.pk, score=Decimal("1.0")),
            ratings.RatingImport(movie_id=world.other.pk, score=Decimal("5.0")),
        ],
    )


@dataclass(frozen=True)
class Case:
    write: Callable[[World], Any]
    # Set-up that the cached reads are warmed after (not the write under test).
    prepare: Callable[[World], Any] | None = None


CASES: dict[str, Case] = {
    # --- The API: movies and genres -----------------------------------------
    "api movie create": Case(
        lambda w: ok(
            w.admin_api.post(
                reverse("movies:movie-list"),
                {"title": "Ran", "year": 1985, "genres": ["drama"]},
                format="json",
            )
        )
    ),
    "api movie replace": Case(
        lambda w: ok(
            w.admin_api.put(
                _movie_url(w.movie),
                {"title": "Replaced", "year": 1994, "genres": ["drama"]},
                format="json",
            )
        )
    ),
    "api movie change": Case(
        lambda w: ok(w.admin_api.patch(_movie_url(w.movie), {"title": "Changed"}))
    ),
    "api movie genres": Case(
        lambda w: ok(
            w.admin_api.patch(_movie_url(w.movie), {"genres": ["crime"]}, format="json")
        )
    ),
    "api movie delete": Case(lambda w: ok(w.admin_api.delete(_movie_url(w.movie)))),
    "api genre create": Case(
        lambda w: ok(
            w.admin_api.post(
                reverse("movies:genre-list"), {"name": "Western", "slug": "western"}
            )
        )
    ),
    "api genre change": Case(
        lambda w: ok(w.admin_api.patch(_genre_url(w.drama), {"name": "Melodrama"}))
    ),
    "api genre delete": Case(lambda w: ok(w.admin_api.delete(_genre_url(w.drama)))),
    # --- The Django admin ----------------------------------------------------
    "admin movie add": Case(
        lambda w: ok(
            w.admin_site.post(
                reverse("admin:movies_movie_add"),
                {
                    **_admin_form(w, title="Ran", year=1985, imdb_id="", tmdb_id=""),
                    "genres": [w.drama.pk],
                },
            )
        )
    ),
    "admin movie change": Case(
        lambda w: ok(
            w.admin_site.post(
                reverse("admin:movies_movie_change", args=[w.movie.pk]),
                _admin_form(w, title="Changed"),
            )
        )
    ),
    "admin movie genres": Case(
        lambda w: ok(
            w.admin_site.post(
                reverse("admin:movies_movie_change", args=[w.movie.pk]),
                _admin_form(w, genres=[w.drama.pk, w.crime.pk]),
            )
        )
    ),
    "admin movie delete": Case(
        lambda w: ok(
            w.admin_site.post(
                reverse("admin:movies_movie_delete", args=[w.movie.pk]),
                {"post": "yes"},
            )
        )
    ),
    "admin movie bulk delete": Case(
        lambda w: _admin_bulk_delete(w, "movie", [w.movie.pk, w.other.pk])
    ),
    "admin movie recount": Case(
        lambda w: ok(
            w.admin_site.post(
                reverse("admin:movies_movie_changelist"),
                {
                    "action": "rebuild_rating_aggregates",
                    "_selected_action": [w.movie.pk],
                },
            )
        ),
        prepare=_tamper_aggregates,
    ),
    "admin genre add": Case(
        lambda w: ok(
            w.admin_site.post(
                reverse("admin:movies_genre_add"),
                {"name": "Western", "slug": "western", "_save": "Save"},
            )
        )
    ),
    "admin genre change": Case(
        lambda w: ok(
            w.admin_site.post(
                reverse("admin:movies_genre_change", args=[w.drama.pk]),
                {"name": "Melodrama", "slug": "drama", "_save": "Save"},
            )
        )
    ),
    "admin genre delete": Case(
        lambda w: ok(
            w.admin_site.post(
                reverse("admin:movies_genre_delete", args=[w.drama.pk]),
                {"post": "yes"},
            )
        )
    ),
    "admin genre bulk delete": Case(
        lambda w: _admin_bulk_delete(w, "genre", [w.drama.pk, w.crime.pk])
    ),
    "admin rating change": Case(
        lambda w: ok(
            w.admin_site.post(
                reverse("admin:ratings_rating_change", args=[w.rating.pk]),
                {"score": "1.0", "review": ""},
            )
        )
    ),
    "admin rating delete": Case(
        lambda w: ok(
            w.admin_site.post(
                reverse("admin:ratings_rating_delete", args=[w.rating.pk]),
                {"post": "yes"},
            )
        )
    ),
    "admin rating bulk delete": Case(
        lambda w: ok(
            w.admin_site.post(
                reverse("admin:ratings_rating_changelist"),
                {
                    "action": "delete_selected",
                    "_selected_action": [w.rating.pk],
                    "post": "yes",
                },
            )
        )
    ),
    # --- Management commands --------------------------------------------------
    "loaddata changed rows": Case(_loaddata_changed_rows),
    "loaddata new genre": Case(_loaddata_new_genre),
    "load_catalogue": Case(
        lambda w: call_command("load_catalogue", stdout=StringIO()),
        prepare=lambda w: Movie.objects.all().delete(),
    ),
    "load_catalogue --force": Case(
        lambda w: call_command("load_catalogue", "--force", stdout=StringIO())
    ),
    "import_movielens": Case(_import_movielens()),
    "import_movielens fills a film's blanks": Case(
        _import_movielens(), prepare=_erase_year
    ),
    "import_movielens --ratings": Case(_import_movielens("--ratings")),
    "recompute_ratings": Case(
        lambda w: call_command("recompute_ratings", stdout=StringIO()),
        prepare=_tamper_aggregates,
    ),
    "seed_synthetic": Case(
        lambda w: call_command(
            "seed_synthetic",
            "--movies=2",
            "--users=1",
            "--ratings=0",
            stdout=StringIO(),
        )
    ),
    # --- Ratings: the API -------------------------------------------------
    "api rating create (movie rating)": Case(
        lambda w: ok(w.api(w.newcomer).put(_my_rating_url(w.movie), {"score": 1.0}))
    ),
    "api rating create (ratings)": Case(
        lambda w: ok(
            w.api(w.newcomer).post(
                reverse("ratings:rating-list"), {"movie": w.movie.pk, "score": 1.0}
            )
        )
    ),
    "api rating change (movie rating)": Case(
        lambda w: ok(w.api(w.rater).put(_my_rating_url(w.movie), {"score": 1.0}))
    ),
    "api rating change (ratings)": Case(
        lambda w: ok(
            w.api(w.rater).patch(
                reverse("ratings:rating-detail", args=[w.rating.pk]), {"score": 1.0}
            )
        )
    ),
    "api rating delete (movie rating)": Case(
        lambda w: ok(w.api(w.rater).delete(_my_rating_url(w.movie)))
    ),
    "api rating delete (ratings)": Case(
        lambda w: ok(
            w.api(w.rater).delete(reverse("ratings:rating-detail", args=[w.rating.pk]))
        )
    ),
    "api user delete": Case(
        lambda w: ok(
            w.api(w.rater).delete(reverse("users:user-detail", args=[w.rater.pk]))
        )
    ),
    # --- Ratings: the services ----------------------------------------------
    "rating_create": Case(
        lambda w: ratings.rating_create(
            user=w.newcomer, movie=w.movie, score=Decimal("1.0")
        )
    ),
    "rating_update": Case(
        lambda w: ratings.rating_update(rating=w.rating, score=Decimal("1.0"))
    ),
    "rating_upsert": Case(
        lambda w: ratings.rating_upsert(
            user=w.rater, movie_id=w.movie.pk, score=Decimal("1.0")
        )
    ),
    "rating_delete": Case(lambda w: ratings.rating_delete(rating=w.rating)),
    "ratings_delete": Case(
        lambda w: ratings.ratings_delete(ratings=Rating.objects.all())
    ),
    "ratings_delete_for_user": Case(
        lambda w: ratings.ratings_delete_for_user(user=w.rater)
    ),
    "ratings_import": Case(_ratings_import),
    # --- The apps built on ratings -------------------------------------------
    "history import": Case(_history_import),
    "diary entry with a score": Case(
        lambda w: ok(
            w.api(w.newcomer).post(
                reverse("diary:my-diary"),
                {"movie": w.movie.pk, "watched_on": "2024-05-01", "score": 1.0},
                format="json",
            )
        )
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_write_shows_in_the_cached_reads_once_committed(world: World, case: Case):
    if case.prepare is not None:
        case.prepare(world)
    assert_write_shows(lambda: _reads(world), lambda: case.write(world))


def test_cached_reads_are_served_from_the_cache(world: World):
    """The premise of the cases above: an unannounced write stays unseen."""
    before = _reads(world)
    with transaction.atomic():
        Movie.objects.filter(pk=world.movie.pk).update(title="Unannounced")
        Genre.objects.filter(pk=world.drama.pk).update(name="Unannounced")

    assert _reads(world) == before
