"""``normalize_title`` and the stored ``Movie.title_key`` on every write path."""

import json
from http import HTTPStatus
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from movies import services
from movies.models import Movie
from movies.tests.factories import GenreFactory, MovieFactory
from movies.titles import normalize_title
from users.models import Role
from users.tests.factories import UserFactory


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("The Shawshank Redemption", "shawshank redemption"),
        ("shawshank redemption, the", "shawshank redemption"),
        ("SHAWSHANK  Redemption", "shawshank redemption"),
        ("Amélie", "amelie"),
        ("Léon: The Professional", "leon the professional"),
        ("Misérables, Les", "miserables"),
        ("Les Misérables", "miserables"),
        ("L'Armée des ombres", "armee des ombres"),
        ("L\u2019Avventura", "avventura"),
        ("Crow, The: Wicked Prayer", "crow wicked prayer"),
        ("Boot, Das (Boat, The)", "boot boat the"),
        ("'71", "71"),
        ("A Clockwork Orange", "clockwork orange"),
        ("An Affair of Love", "affair of love"),
        ("El Mariachi", "mariachi"),
        ("Schindler's List", "schindlers list"),
        ("E.T. the Extra-Terrestrial", "et the extra terrestrial"),
        ("Æon Flux", "aeon flux"),
        ("Straße", "strasse"),
        ("Épsilon", "epsilon"),
        ("千と千尋の神隠し", "千と千尋の神隠し"),
        # Words that only look like foreign articles stay.
        ("I, Robot", "i robot"),
        ("Los Angeles Plays Itself", "los angeles plays itself"),
        # A title that is nothing but an article keeps it.
        ("The", "the"),
        ("A", "a"),
        ("!!!", ""),
    ],
)
def test_normalize_title_folds_case_accents_articles_and_punctuation(
    text: str, key: str
) -> None:
    assert normalize_title(text) == key


def test_normalize_title_is_idempotent() -> None:
    for text in ["The Godfather", "Misérables, Les", "'71", "L'Avventura"]:
        assert normalize_title(normalize_title(text)) == normalize_title(text)


# --- Write paths -------------------------------------------------------------

pytestmark = pytest.mark.django_db


def stored_key(movie_id: int) -> str:
    return Movie.objects.values_list("title_key", flat=True).get(pk=movie_id)


def test_model_save_derives_the_key() -> None:
    movie = Movie(title="The Godfather", year=1972)
    movie.save()

    assert stored_key(movie.pk) == "godfather"


def test_model_save_with_update_fields_title_writes_the_key_too() -> None:
    movie = MovieFactory.create(title="The Godfather")
    movie.title = "Godfather: Part II"

    movie.save(update_fields=["title"])

    assert stored_key(movie.pk) == "godfather part ii"


def test_movie_services_keep_the_key() -> None:
    movie = services.movie_create(actor=None, title="Amélie", year=2001)
    assert stored_key(movie.pk) == "amelie"

    services.movie_update(movie=movie, title="The Fabulous Destiny of Amélie")

    assert stored_key(movie.pk) == "fabulous destiny of amelie"


def test_api_create_and_patch_keep_the_key(admin_client: APIClient) -> None:
    GenreFactory.create(slug="drama")
    created = admin_client.post(
        reverse("movies:movie-list"),
        {"title": "The Matrix", "year": 1999, "genres": ["drama"]},
        format="json",
    )
    assert created.status_code == HTTPStatus.CREATED, created.json()
    movie_id = created.json()["id"]
    assert stored_key(movie_id) == "matrix"

    patched = admin_client.patch(
        reverse("movies:movie-detail", args=[movie_id]),
        {"title": "Matrix Reloaded, The"},
        format="json",
    )

    assert patched.status_code == HTTPStatus.OK, patched.json()
    assert stored_key(movie_id) == "matrix reloaded"


def admin_form(movie_title: str) -> dict[str, object]:
    return {
        "title": movie_title,
        "year": "1996",
        "genres": [],
        "overview": "",
        "runtime_minutes": "",
        "imdb_id": "",
        "tmdb_id": "",
        "_save": "Save",
    }


def test_admin_add_and_change_keep_the_key() -> None:
    client = Client()
    client.force_login(UserFactory.create(role=Role.ADMIN))

    added = client.post(reverse("admin:movies_movie_add"), admin_form("Léon"))
    assert added.status_code == HTTPStatus.FOUND, added.content
    movie = Movie.objects.get(title="Léon")
    assert stored_key(movie.pk) == "leon"

    changed = client.post(
        reverse("admin:movies_movie_change", args=[movie.pk]),
        admin_form("Léon: The Professional"),
    )

    assert changed.status_code == HTTPStatus.FOUND, changed.content
    assert stored_key(movie.pk) == "leon the professional"


def test_loaddata_derives_the_key_of_raw_rows(tmp_path: Path) -> None:
    fixture = tmp_path / "one_movie.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "movies.movie",
                    "fields": {
                        "title": "The Godfather",
                        "year": 1972,
                        "created_at": "2026-11-28T00:00:00Z",
                        "updated_at": "2026-11-28T00:00:00Z",
                    },
                }
            ]
        )
    )

    call_command("loaddata", str(fixture), verbosity=0)

    assert Movie.objects.get().title_key == "godfather"


def test_load_catalogue_fixture_rows_all_have_their_key() -> None:
    call_command("load_catalogue")

    rows = list(Movie.objects.values_list("title", "title_key"))
    assert len(rows) >= 100
    assert all(key == normalize_title(title) for title, key in rows)
    assert Movie.objects.get(imdb_id="tt0068646").title_key == "godfather"
