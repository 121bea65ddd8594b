from http import HTTPStatus
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from movies.models import Genre, Movie, max_movie_year
from movies.tests.factories import GenreFactory, MovieFactory, rate
from movies.tests.helpers import movie_version
from ratings.models import Rating
from users.models import Role, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator() -> User:
    """An admin-role user who is not a superuser."""
    return UserFactory.create(role=Role.ADMIN, is_superuser=False)


@pytest.fixture
def curator_client(curator: User) -> Client:
    client = Client()
    client.force_login(curator)
    return client


def change_url(movie: Movie) -> str:
    return reverse("admin:movies_movie_change", args=[movie.pk])


def form_data(movie: Movie, **overrides: Any) -> dict[str, Any]:
    data = {
        "title": movie.title,
        "year": movie.year or "",
        "genres": [genre.pk for genre in movie.genres.all()],
        "overview": movie.overview,
        "runtime_minutes": movie.runtime_minutes or "",
        "imdb_id": movie.imdb_id or "",
        "tmdb_id": movie.tmdb_id or "",
        "_save": "Save",
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    "name",
    [
        "admin:index",
        "admin:movies_movie_changelist",
        "admin:movies_movie_add",
        "admin:movies_genre_changelist",
        "admin:movies_genre_add",
    ],
)
def test_curator_without_superuser_status_may_open_admin_pages(
    curator_client: Client, name: str
) -> None:
    MovieFactory.create(genres=[GenreFactory.create()])

    response = curator_client.get(reverse(name))

    assert response.status_code == HTTPStatus.OK


def test_curator_may_open_a_movies_change_form(curator_client: Client) -> None:
    movie = MovieFactory.create()
    rate(movie, "4.0")

    response = curator_client.get(change_url(movie))

    assert response.status_code == HTTPStatus.OK
    assert b"Rebuild" not in response.content  # actions are on the list only
    assert b"4.0: 1" in response.content  # the distribution is shown read-only


def test_basic_user_is_sent_to_the_admin_login(user: User) -> None:
    client = Client()
    client.force_login(user)

    response = client.get(reverse("admin:movies_movie_changelist"))

    assert response.status_code == HTTPStatus.FOUND
    assert reverse("admin:login") in response["Location"]


def test_curator_saves_a_change_to_a_movie(curator_client: Client) -> None:
    drama = GenreFactory.create(name="Drama")
    war = GenreFactory.create(name="War")
    movie = MovieFactory.create(title="Old", genres=[drama])

    response = curator_client.post(
        change_url(movie), form_data(movie, title="New", genres=[war.pk])
    )

    assert response.status_code == HTTPStatus.FOUND, response.content
    movie.refresh_from_db()
    assert movie.title == "New"
    assert list(movie.genres.all()) == [war]


def test_change_form_ignores_posted_aggregates(curator_client: Client) -> None:
    movie = MovieFactory.create()
    rate(movie, "4.0", "5.0")
    movie.refresh_from_db()

    curator_client.post(
        change_url(movie),
        form_data(movie, title="New", rating_count="50", rating_sum="1"),
    )

    saved = Movie.objects.get(pk=movie.pk)
    assert saved.title == "New"
    assert saved.rating_count == 2
    assert saved.average_rating == 4.5
    assert saved.ratings_5_0 == 1


def test_change_form_save_invalidates_the_movies_cache(curator_client: Client) -> None:
    movie = MovieFactory.create()
    before = movie_version(movie.pk)

    curator_client.post(change_url(movie), form_data(movie, title="New"))

    assert movie_version(movie.pk) != before


def test_curator_adds_a_movie_recorded_as_theirs(
    curator_client: Client, curator: User
) -> None:
    drama = GenreFactory.create()

    response = curator_client.post(
        reverse("admin:movies_movie_add"),
        {
            "title": "Emma",
            "year": "1996",
            "genres": [drama.pk],
            "overview": "",
            "runtime_minutes": "",
            "imdb_id": "",
            "tmdb_id": "",
            "_save": "Save",
        },
    )

    assert response.status_code == HTTPStatus.FOUND, response.content
    movie = Movie.objects.get(title="Emma")
    assert movie.created_by == curator
    assert movie.imdb_id is None  # an empty box is "no IMDb id", not ""
    assert list(movie.genres.all()) == [drama]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "   "}, "title"),
        ({"year": "1869"}, "year"),
        ({"year": str(max_movie_year() + 1)}, "year"),
        ({"imdb_id": "nm0000123"}, "imdb_id"),
        ({"tmdb_id": "0"}, "tmdb_id"),
        ({"runtime_minutes": "1001"}, "runtime_minutes"),
        ({"overview": "x" * 10001}, "overview"),
    ],
)
def test_change_form_applies_the_api_validation_rules(
    curator_client: Client, overrides: dict[str, str], field: str
) -> None:
    movie = MovieFactory.create(title="Kept")

    response = curator_client.post(change_url(movie), form_data(movie, **overrides))

    assert response.status_code == HTTPStatus.OK  # the form again, with errors
    assert field in response.context["adminform"].form.errors
    movie.refresh_from_db()
    assert movie.title == "Kept"


def test_change_form_refuses_another_movies_imdb_id(curator_client: Client) -> None:
    other = MovieFactory.create()
    movie = MovieFactory.create()

    response = curator_client.post(
        change_url(movie), form_data(movie, imdb_id=other.imdb_id)
    )

    assert "imdb_id" in response.context["adminform"].form.errors


def test_movie_changelist_searches_title_and_imdb_id(curator_client: Client) -> None:
    MovieFactory.create(title="Heat", imdb_id="tt0113277")
    MovieFactory.create(title="Casino", imdb_id="tt0112641")
    url = reverse("admin:movies_movie_changelist")

    by_title = curator_client.get(url, {"q": "hea"}).context["cl"].result_list
    by_imdb = curator_client.get(url, {"q": "tt0112641"}).context["cl"].result_list

    assert [m.title for m in by_title] == ["Heat"]
    assert [m.title for m in by_imdb] == ["Casino"]


@pytest.mark.parametrize(
    "query", ["leon", "LÉON", "Léon: the professional", "professional, the"]
)
def test_movie_changelist_search_ignores_case_accents_and_articles(
    curator_client: Client, query: str
) -> None:
    MovieFactory.create(title="Léon: The Professional")
    MovieFactory.create(title="Heat")

    response = curator_client.get(
        reverse("admin:movies_movie_changelist"), {"q": query}
    )

    assert [m.title for m in response.context["cl"].result_list] == [
        "Léon: The Professional"
    ]


@pytest.mark.parametrize(("value", "expected"), [("yes", ["Rated"]), ("no", ["Not"])])
def test_has_ratings_filter(
    curator_client: Client, value: str, expected: list[str]
) -> None:
    rate(MovieFactory.create(title="Rated"), "3.0")
    MovieFactory.create(title="Not")

    response = curator_client.get(
        reverse("admin:movies_movie_changelist"), {"has_ratings": value}
    )

    assert [m.title for m in response.context["cl"].result_list] == expected


def test_genre_autocomplete_answers_the_movie_form(curator_client: Client) -> None:
    GenreFactory.create(name="Drama")
    GenreFactory.create(name="War")

    response = curator_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "movies",
            "model_name": "movie",
            "field_name": "genres",
            "term": "dra",
        },
    )

    assert response.status_code == HTTPStatus.OK
    assert [item["text"] for item in response.json()["results"]] == ["Drama"]


def test_rebuild_action_corrects_stale_aggregates_and_reports_it(
    curator_client: Client,
) -> None:
    stale = MovieFactory.create()
    exact = MovieFactory.create()
    rate(stale, "4.0", "2.0")
    rate(exact, "5.0")
    Movie.objects.filter(pk=stale.pk).update(rating_count=7, ratings_4_0=0)

    response = curator_client.post(
        reverse("admin:movies_movie_changelist"),
        {
            "action": "rebuild_rating_aggregates",
            "_selected_action": [stale.pk, exact.pk],
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    stale.refresh_from_db()
    assert stale.rating_count == 2
    assert stale.ratings_4_0 == 1
    assert stale.average_rating == 3.0
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == [
        "Recounted the ratings of 2 movies: 1 had a count that disagreed with "
        "its ratings and is now corrected."
    ]


def test_deleting_a_movie_in_the_admin_deletes_its_ratings(
    curator_client: Client,
) -> None:
    movie = MovieFactory.create()
    rate(movie, "3.0")
    before = movie_version(movie.pk)

    response = curator_client.post(
        reverse("admin:movies_movie_delete", args=[movie.pk]), {"post": "yes"}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert not Movie.objects.filter(pk=movie.pk).exists()
    assert not Rating.objects.filter(movie_id=movie.pk).exists()
    assert movie_version(movie.pk) != before


def test_bulk_delete_action_invalidates_each_movie(curator_client: Client) -> None:
    movies = MovieFactory.create_batch(2)
    before = [movie_version(movie.pk) for movie in movies]

    curator_client.post(
        reverse("admin:movies_movie_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [movie.pk for movie in movies],
            "post": "yes",
        },
    )

    assert not Movie.objects.exists()
    assert [movie_version(movie.pk) for movie in movies] != before


def test_curator_adds_a_genre(curator_client: Client) -> None:
    response = curator_client.post(
        reverse("admin:movies_genre_add"),
        {"name": "Film-Noir", "slug": "film-noir", "_save": "Save"},
    )

    assert response.status_code == HTTPStatus.FOUND, response.content
    assert Genre.objects.filter(slug="film-noir").exists()


def test_genre_add_form_prepopulates_the_slug(curator_client: Client) -> None:
    response = curator_client.get(reverse("admin:movies_genre_add"))

    assert b"prepopulated" in response.content


def test_renaming_a_genre_in_the_admin_invalidates_its_movies(
    curator_client: Client,
) -> None:
    genre = GenreFactory.create(name="Sci-Fi", slug="sci-fi")
    movie = MovieFactory.create(genres=[genre])
    before = movie_version(movie.pk)

    response = curator_client.post(
        reverse("admin:movies_genre_change", args=[genre.pk]),
        {"name": "Science Fiction", "slug": "sci-fi", "_save": "Save"},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert movie_version(movie.pk) != before
