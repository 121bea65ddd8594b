import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from movies import services
from movies.models import Genre, Movie
from movies.tests.factories import GenreFactory, MovieFactory, rate
from movies.tests.helpers import catalogue_version, movie_version
from ratings.models import Rating
from users.models import User

pytestmark = pytest.mark.django_db

CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], None]]]]


def test_movie_create_saves_fields_genres_and_creator(admin_user: User) -> None:
    drama = GenreFactory.create()

    movie = services.movie_create(
        actor=admin_user,
        title="Emma",
        year=1996,
        genres=[drama],
        overview="A matchmaker.",
        runtime_minutes=120,
        imdb_id="tt0116191",
        tmdb_id=3573,
    )

    movie.refresh_from_db()
    assert (movie.title, movie.year, movie.imdb_id) == ("Emma", 1996, "tt0116191")
    assert movie.created_by == admin_user
    assert list(movie.genres.all()) == [drama]
    assert movie.rating_count == 0


def test_movie_create_invalidates_the_cache_after_commit(
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    before = catalogue_version()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.movie_create(actor=None, title="Emma", year=1996)
        assert catalogue_version() == before  # nothing before the commit
    for callback in callbacks:
        callback()

    assert catalogue_version() != before


@pytest.mark.parametrize("field", ["imdb_id", "tmdb_id"])
def test_movie_create_with_duplicate_external_id_raises_validation_error(
    field: str,
) -> None:
    existing = MovieFactory.create()

    with pytest.raises(ValidationError) as excinfo:
        services.movie_create(
            actor=None, title="Copy", year=None, **{field: getattr(existing, field)}
        )

    assert field in excinfo.value.message_dict
    assert Movie.objects.count() == 1


def test_movie_update_writes_only_the_changed_columns() -> None:
    """A stale instance must not overwrite aggregates changed meanwhile."""
    movie = MovieFactory.create(title="Old")
    stale = Movie.objects.get(pk=movie.pk)
    rate(movie, "4.0", "5.0")  # updates the row, not ``stale``

    services.movie_update(movie=stale, title="New")

    movie.refresh_from_db()
    assert movie.title == "New"
    assert movie.rating_count == 2
    assert movie.rating_sum == Decimal("9.0")
    assert movie.ratings_5_0 == 1


def test_movie_update_with_genres_none_keeps_them() -> None:
    drama = GenreFactory.create()
    movie = MovieFactory.create(genres=[drama])

    services.movie_update(movie=movie, year=2000)

    assert list(movie.genres.all()) == [drama]


def test_movie_update_of_a_non_editable_field_is_refused() -> None:
    movie = MovieFactory.create()

    with pytest.raises(ValidationError):
        services.movie_update(movie=movie, rating_count=10)

    movie.refresh_from_db()
    assert movie.rating_count == 0


def test_movie_update_to_a_taken_imdb_id_raises_validation_error() -> None:
    other = MovieFactory.create()
    movie = MovieFactory.create()

    with pytest.raises(ValidationError) as excinfo:
        services.movie_update(movie=movie, imdb_id=other.imdb_id)

    assert "imdb_id" in excinfo.value.message_dict


def test_movie_update_bumps_the_movies_cache_version() -> None:
    movie = MovieFactory.create()
    before = movie_version(movie.pk)

    services.movie_update(movie=movie, title="New")

    assert movie_version(movie.pk) != before


def test_movie_delete_deletes_its_ratings_and_invalidates() -> None:
    movie = MovieFactory.create()
    rate(movie, "3.0", "4.0")
    movie_id = movie.pk
    before = movie_version(movie_id)

    services.movie_delete(movie=movie)

    assert not Movie.objects.filter(pk=movie_id).exists()
    assert not Rating.objects.filter(movie_id=movie_id).exists()
    assert movie_version(movie_id) != before


def test_genre_create_derives_the_slug() -> None:
    genre = services.genre_create(name="Film Noir")

    assert genre.slug == "film-noir"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "Drama", "slug": "other"}, "name"),
        ({"name": "X", "slug": "drama"}, "slug"),
    ],
)
def test_genre_create_duplicate_raises_validation_error(
    kwargs: dict[str, Any], field: str
) -> None:
    GenreFactory.create(name="Drama", slug="drama")

    with pytest.raises(ValidationError) as excinfo:
        services.genre_create(**kwargs)

    assert field in excinfo.value.message_dict
    assert Genre.objects.count() == 1


def test_genre_create_with_underivable_slug_raises_validation_error() -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.genre_create(name="???")

    assert "slug" in excinfo.value.message_dict


def test_genre_update_invalidates_the_movies_that_show_it() -> None:
    genre = GenreFactory.create()
    tagged = MovieFactory.create(genres=[genre])
    untagged = MovieFactory.create()
    versions = movie_version(tagged.pk), movie_version(untagged.pk)

    services.genre_update(genre=genre, name="Renamed")

    assert movie_version(tagged.pk) != versions[0]
    assert movie_version(untagged.pk) == versions[1]


def test_genre_update_to_a_taken_slug_raises_validation_error() -> None:
    GenreFactory.create(name="Drama", slug="drama")
    genre = GenreFactory.create(name="War", slug="war")

    with pytest.raises(ValidationError) as excinfo:
        services.genre_update(genre=genre, slug="drama")

    assert "slug" in excinfo.value.message_dict


def test_genre_delete_keeps_movies_and_invalidates_them() -> None:
    genre = GenreFactory.create()
    movie = MovieFactory.create(genres=[genre])
    before = movie_version(movie.pk)

    services.genre_delete(genre=genre)

    assert Movie.objects.filter(pk=movie.pk).exists()
    assert movie_version(movie.pk) != before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_one_imdb_id_give_one_movie_and_one_error() -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def create(title: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.movie_create(
                actor=None, title=title, year=1996, imdb_id="tt0116191"
            )
            outcomes.append("created")
        except ValidationError as exc:
            outcomes.append(",".join(exc.message_dict))
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(t,)) for t in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["created", "imdb_id"]
    assert Movie.objects.filter(imdb_id="tt0116191").count() == 1


def test_movies_delete_deletes_the_movies_and_their_ratings_only() -> None:
    doomed, kept = MovieFactory.create_batch(2), MovieFactory.create()
    for movie in [*doomed, kept]:
        rate(movie, "3.0")

    deleted = services.movies_delete(
        movies=Movie.objects.filter(pk__in=[movie.pk for movie in doomed])
    )

    assert deleted == 2
    assert list(Movie.objects.all()) == [kept]
    assert list(Rating.objects.values_list("movie_id", flat=True)) == [kept.pk]


def test_genres_delete_keeps_their_movies() -> None:
    doomed, kept = GenreFactory.create_batch(2), GenreFactory.create()
    movie = MovieFactory.create(genres=[*doomed, kept])

    deleted = services.genres_delete(
        genres=Genre.objects.filter(pk__in=[genre.pk for genre in doomed])
    )

    assert deleted == 2
    assert list(movie.genres.all()) == [kept]
