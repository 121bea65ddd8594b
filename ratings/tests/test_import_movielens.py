"""``manage.py import_movielens`` on small written data sets and the real one."""

import csv
import re
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import is_password_usable
from django.core.management import CommandError, call_command
from django.db import transaction

from movies import aggregates
from movies.models import Genre, Movie
from movies.tests.factories import MovieFactory
from movies.titles import ARTICLES, normalize_title
from ratings.loading.bulkload import insert_rows
from ratings.loading.movielens import open_dataset, parse_title
from ratings.loading.movielens.reading import read_movies
from ratings.models import Rating
from ratings.services import user_ratings_count_rebuild
from users.models import Role, User

pytestmark = pytest.mark.django_db

REAL_DATASET = (
    settings.BASE_DIR.parent / "shared" / "datasets" / "movielens" / "ml-latest-small"
)

MOVIES = [
    ("movieId", "title", "genres"),
    ("1", "Shawshank Redemption, The (1994)", "Crime|Drama"),
    ("2", "Twelve Monkeys (a.k.a. 12 Monkeys) (1995)", "Mystery|Sci-Fi|Thriller"),
    ("3", "City of Lost Children, The (Cité des enfants perdus, La) (1995)", "Drama"),
    ("4", "Armée des ombres, L' (1969)", "Drama|War"),
    ("5", "Black Mirror", "(no genres listed)"),
    ("6", "Forrest Gump (1994)", "Comedy|Drama|Romance|War"),
    ("7", "Confessions of a Dangerous Mind (2002)", "Comedy|Crime|Drama"),
]
LINKS = [
    ("movieId", "imdbId", "tmdbId"),
    ("1", "0111161", "278"),
    ("2", "0114746", "63"),
    ("3", "0112682", "902"),
    ("4", "0064040", ""),
    ("5", "2085059", "42009"),
    ("6", "0109830", "13"),
    ("7", "0270288", "4912"),
]
RATINGS = [
    ("userId", "movieId", "rating", "timestamp"),
    ("1", "1", "5.0", "964982703"),
    ("1", "6", "4.0", "964981247"),
    ("2", "1", "4.5", "1445714994"),
    ("2", "2", "3.5", "1445714996"),
    ("2", "5", "0.5", "1445715207"),
    ("3", "1", "4.0", "1260759144"),
]

Rows = Sequence[Sequence[str]]


def write_dataset(
    directory: Path,
    *,
    movies: Rows = MOVIES,
    links: Rows | None = LINKS,
    ratings: Rows | None = RATINGS,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    files = {"movies.csv": movies, "links.csv": links, "ratings.csv": ratings}
    for name, rows in files.items():
        if rows is not None:
            with (directory / name).open("w", newline="", encoding="utf-8") as file:
                csv.writer(file).writerows(rows)
    return directory


def zip_dataset(directory: Path, archive: Path, *, folder: str) -> Path:
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(directory.iterdir()):
            zipped.write(path, f"{folder}/{path.name}")
    return archive


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "ml-test")


@pytest.fixture
def run_import() -> Callable[..., str]:
    def run(path: Path | str, *args: str) -> str:
        out = StringIO()
        call_command("import_movielens", str(path), *args, stdout=out)
        return out.getvalue()

    return run


def catalogue_state() -> tuple[object, ...]:
    """Return everything the import writes, to compare two runs."""
    return (
        sorted(
            Movie.objects.values_list(
                "pk", "title", "year", "imdb_id", "tmdb_id", "movielens_id"
            )
        ),
        sorted(Movie.genres.through.objects.values_list("movie_id", "genre_id")),
        sorted(User.objects.values_list("pk", "username", "email", "ratings_count")),
        sorted(
            Rating.objects.values_list(
                "pk", "user_id", "movie_id", "score", "created_at", "updated_at"
            )
        ),
        sorted(Movie.objects.values_list("pk", "rating_count", "rating_sum")),
    )


@pytest.mark.parametrize(
    ("raw", "title", "year"),
    [
        ("Shawshank Redemption, The (1994)", "The Shawshank Redemption", 1994),
        ("Clockwork Orange, A (1971)", "A Clockwork Orange", 1971),
        ("Affair of Love, An (1999)", "An Affair of Love", 1999),
        ("Armée des ombres, L' (1969)", "L'Armée des ombres", 1969),
        ("Misérables, Les (1995)", "Les Misérables", 1995),
        ("Boot, Das (Boat, The) (1981)", "Das Boot (The Boat)", 1981),
        ("Mariachi, El (1992)", "El Mariachi", 1992),
        ("Crow, The: Wicked Prayer (2005)", "The Crow: Wicked Prayer", 2005),
        (
            "Librarian, The: The Curse of the Judas Chalice (2008)",
            "The Librarian: The Curse of the Judas Chalice",
            2008,
        ),
        ("Honey, I Shrunk the Kids (1989)", "Honey, I Shrunk the Kids", 1989),
        ("Seven (a.k.a. Se7en) (1995)", "Seven", 1995),
        (
            "Léon: The Professional (a.k.a. The Professional) (Léon) (1994)",
            "Léon: The Professional (Léon)",
            1994,
        ),
        (
            "Birdman: Or (The Unexpected Virtue of Ignorance) (2014)",
            "Birdman: Or (The Unexpected Virtue of Ignorance)",
            2014,
        ),
        ("(500) Days of Summer (2009)", "(500) Days of Summer", 2009),
        ("Monsters, Inc. (2001)", "Monsters, Inc.", 2001),
        ("Death Note: Desu nôto (2006\u20132007)", "Death Note: Desu nôto", 2006),
        ("Black Mirror", "Black Mirror", None),
        ("Babylon 5 ", "Babylon 5", None),
        ("Before Cinema (1850)", "Before Cinema", None),
    ],
)
def test_parse_title_moves_articles_drops_aliases_and_splits_year(
    raw: str, title: str, year: int | None
) -> None:
    assert parse_title(raw) == (title, year)


def test_parse_title_keeps_titles_within_the_column_length() -> None:
    title, year = parse_title("X" * 300 + " (2001)")

    assert (len(title), year) == (255, 2001)


def test_import_movielens_directory_creates_the_catalogue(
    dataset: Path, run_import: Callable[..., str]
) -> None:
    output = run_import(dataset)

    movies = {m.movielens_id: m for m in Movie.objects.prefetch_related("genres")}
    assert len(movies) == 7
    shawshank = movies[1]
    assert (shawshank.title, shawshank.year) == ("The Shawshank Redemption", 1994)
    assert (shawshank.imdb_id, shawshank.tmdb_id) == ("tt0111161", 278)
    assert {g.slug for g in shawshank.genres.all()} == {"crime", "drama"}
    assert movies[2].title == "Twelve Monkeys"
    assert movies[3].title == "The City of Lost Children (La Cité des enfants perdus)"
    assert movies[4].title == "L'Armée des ombres"
    assert (movies[4].imdb_id, movies[4].tmdb_id) == ("tt0064040", None)
    assert (movies[5].title, movies[5].year) == ("Black Mirror", None)
    assert list(movies[5].genres.all()) == []
    assert set(Genre.objects.values_list("slug", flat=True)) >= {"sci-fi", "war"}
    assert not Genre.objects.filter(name="(no genres listed)").exists()
    # Without --ratings only the catalogue is written.
    assert (User.objects.count(), Rating.objects.count()) == (0, 0)
    assert "Movies: 7 read, 7 created, 0 merged, 0 updated, 0 unchanged" in output


def test_import_movielens_stores_the_title_key_of_every_film(
    dataset: Path, run_import: Callable[..., str]
) -> None:
    run_import(dataset)

    keys = dict(Movie.objects.values_list("movielens_id", "title_key"))
    assert keys[1] == "shawshank redemption"
    assert keys[4] == "armee des ombres"
    assert all(
        key == normalize_title(title)
        for title, key in Movie.objects.values_list("title", "title_key")
    )


def test_import_movielens_with_ratings_creates_users_ratings_and_aggregates(
    dataset: Path, run_import: Callable[..., str]
) -> None:
    output = run_import(dataset, "--ratings")

    users = User.objects.order_by("username")
    assert [u.username for u in users] == [
        "movielens_1",
        "movielens_2",
        "movielens_3",
    ]
    first = users[0]
    assert first.email == "movielens_1@movielens.invalid"
    assert first.role == Role.BASIC
    assert not is_password_usable(first.password)
    rating = Rating.objects.get(user=first, movie__movielens_id=1)
    assert rating.score == Decimal("5.0")
    moment = datetime.fromtimestamp(964982703, tz=UTC)
    assert rating.created_at == rating.updated_at == moment
    shawshank = Movie.objects.get(movielens_id=1)
    assert shawshank.rating_count == 3
    assert shawshank.rating_sum == Decimal("13.5")
    assert shawshank.average_rating == 4.5
    assert shawshank.rating_distribution["4.5"] == 1
    assert aggregates.rebuild() == []
    assert [u.ratings_count for u in users] == [2, 3, 1]
    assert user_ratings_count_rebuild() == []
    assert "Ratings: 6 read, 6 created, 0 updated, 0 unchanged, 0 superseded" in output
    assert "User ratings counts rebuilt: 3" in output


def test_import_movielens_zip_with_top_folder_imports_like_a_directory(
    dataset: Path, tmp_path: Path, run_import: Callable[..., str]
) -> None:
    archive = zip_dataset(dataset, tmp_path / "ml-test.zip", folder="ml-test")

    run_import(archive, "--ratings")

    assert Movie.objects.count() == 7
    assert Rating.objects.count() == 6
    assert Movie.objects.get(movielens_id=4).title == "L'Armée des ombres"
    assert aggregates.rebuild() == []


def test_import_movielens_twice_changes_nothing(
    dataset: Path, run_import: Callable[..., str]
) -> None:
    run_import(dataset, "--ratings")
    before = catalogue_state()

    output = run_import(dataset, "--ratings")

    assert catalogue_state() == before
    assert "Movies: 7 read, 0 created, 0 merged, 0 updated, 7 unchanged" in output
    assert "Users created: 0" in output
    assert "Ratings: 6 read, 0 created, 0 updated, 6 unchanged, 0 superseded" in output
    assert "User ratings counts rebuilt: 0" in output


def test_import_movielens_changed_score_updates_only_that_rating(
    tmp_path: Path, dataset: Path, run_import: Callable[..., str]
) -> None:
    run_import(dataset, "--ratings")
    changed = [
        row if row[:2] != ("2", "1") else ("2", "1", "1.0", "1500000000")
        for row in RATINGS
    ]
    write_dataset(dataset, ratings=changed)
    untouched = Rating.objects.get(user__username="movielens_3").updated_at

    output = run_import(dataset, "--ratings")

    rating = Rating.objects.get(user__username="movielens_2", movie__movielens_id=1)
    assert rating.score == Decimal("1.0")
    assert rating.updated_at == datetime.fromtimestamp(1500000000, tz=UTC)
    assert Rating.objects.get(user__username="movielens_3").updated_at == untouched
    assert Rating.objects.count() == 6
    assert Movie.objects.get(movielens_id=1).rating_sum == Decimal("10.0")
    assert aggregates.rebuild() == []
    assert "Ratings: 6 read, 0 created, 1 updated, 5 unchanged, 0 superseded" in output


def test_import_movielens_merges_a_film_already_there_by_imdb_id(
    dataset: Path, run_import: Callable[..., str]
) -> None:
    existing = MovieFactory.create(
        title="Forrest Gump", year=1994, imdb_id="tt0109830", tmdb_id=None
    )

    output = run_import(dataset, "--ratings")

    merged = Movie.objects.get(imdb_id="tt0109830")
    assert merged.pk == existing.pk
    assert (merged.movielens_id, merged.tmdb_id) == (6, 13)
    assert merged.title == "Forrest Gump"
    assert merged.rating_count == 1
    assert Movie.objects.count() == 7
    assert "Movies: 7 read, 6 created, 1 merged, 0 updated, 0 unchanged" in output


def test_import_movielens_tmdb_id_of_another_movie_is_skipped_and_reported(
    dataset: Path, run_import: Callable[..., str]
) -> None:
    holder = MovieFactory.create(tmdb_id=4912)

    output = run_import(dataset)

    confessions = Movie.objects.get(movielens_id=7)
    assert confessions.tmdb_id is None
    assert confessions.imdb_id == "tt0270288"
    assert Movie.objects.get(tmdb_id=4912) == holder
    assert "TMDB id 4912 of movieId 7" in output


def test_import_movielens_ratings_of_unknown_movies_are_skipped(
    dataset: Path, run_import: Callable[..., str]
) -> None:
    write_dataset(dataset, ratings=[*RATINGS, ("4", "999", "3.0", "1260759144")])

    output = run_import(dataset, "--ratings")

    assert Rating.objects.count() == 6
    assert "1 skipped" in output


def test_import_movielens_repeated_rating_row_is_counted_as_superseded(
    dataset: Path, run_import: Callable[..., str]
) -> None:
    write_dataset(dataset, ratings=[*RATINGS, ("1", "1", "2.0", "1260759999")])

    output = run_import(dataset, "--ratings")

    assert Rating.objects.get(
        user__username="movielens_1", movie__movielens_id=1
    ).score == Decimal("2.0")
    assert "Ratings: 7 read, 6 created, 0 updated, 0 unchanged, 1 superseded" in output


def test_insert_rows_ignoring_conflicts_skips_rows_already_there() -> None:
    movie, other = MovieFactory.create_batch(2)
    rater = User.objects.create_user(email="rater@example.com", username="rater")
    moment = datetime(2020, 5, 1, tzinfo=UTC)
    fields = ["user", "movie", "score", "review", "created_at", "updated_at"]
    with transaction.atomic():
        insert_rows(
            Rating, fields, [(rater.pk, movie.pk, Decimal("2.0"), "", moment, moment)]
        )

    with transaction.atomic():
        written = insert_rows(
            Rating,
            fields,
            [
                (rater.pk, movie.pk, Decimal("5.0"), "", moment, moment),
                (rater.pk, other.pk, Decimal("4.5"), "", moment, moment),
            ],
            ignore_conflicts=True,
        )

    assert written == 1
    scores = dict(Rating.objects.values_list("movie_id", "score"))
    assert scores == {movie.pk: Decimal("2.0"), other.pk: Decimal("4.5")}
    assert Rating.objects.get(movie=other).created_at == moment


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"movies": [("movieId", "name", "genres")]}, "movies.csv: missing column"),
        ({"movies": [*MOVIES, ("x", "Film (2000)", "")]}, "movieId 'x'"),
        ({"movies": [*MOVIES, ("8", " ", "Drama")]}, "the title is blank"),
        ({"links": [*LINKS, ("8", "abc", "1")]}, "imdbId 'abc'"),
        ({"links": [*LINKS, ("8", "1", "-3")]}, "tmdbId '-3'"),
        ({"ratings": [*RATINGS, ("1", "2", "6.0", "1")]}, "rating '6.0'"),
        ({"ratings": [*RATINGS, ("1", "2", "4.0", "soon")]}, "timestamp 'soon'"),
        ({"ratings": [("userId", "movieId", "rating")]}, "missing column(s) timestamp"),
        ({"ratings": None}, "has no ratings.csv"),
    ],
)
def test_import_movielens_invalid_file_fails_cleanly_and_writes_nothing(
    tmp_path: Path,
    run_import: Callable[..., str],
    files: dict[str, Rows | None],
    message: str,
) -> None:
    directory = write_dataset(tmp_path / "bad", **files)  # type: ignore[arg-type]

    with pytest.raises(CommandError, match=re.escape(message)):
        run_import(directory, "--ratings")

    assert (Movie.objects.count(), User.objects.count(), Rating.objects.count()) == (
        0,
        0,
        0,
    )


@pytest.mark.parametrize("name", ["missing", "not-a-zip.zip"])
def test_import_movielens_unreadable_path_is_a_command_error(
    tmp_path: Path, run_import: Callable[..., str], name: str
) -> None:
    (tmp_path / "not-a-zip.zip").write_text("plain text")

    with pytest.raises(CommandError):
        run_import(tmp_path / name)


def test_parse_title_leaves_no_article_behind_in_the_real_movies_file() -> None:
    if not (REAL_DATASET / "movies.csv").is_file():
        pytest.skip(f"MovieLens ml-latest-small not found at {REAL_DATASET}")
    with open_dataset(str(REAL_DATASET)) as dataset:
        titles = [movie.title for movie in read_movies(dataset)]
    moved_article = re.compile(
        r",\s*(?:" + "|".join(map(re.escape, ARTICLES)) + r")(?=:|\s*\(|\s*$)"
    )

    assert len(titles) == 9742
    assert [title for title in titles if moved_article.search(title)] == []
    assert "The Crow: Wicked Prayer" in titles


def test_import_movielens_real_dataset_loads_exactly_once(
    run_import: Callable[..., str],
) -> None:
    if not (REAL_DATASET / "ratings.csv").is_file():
        pytest.skip(f"MovieLens ml-latest-small not found at {REAL_DATASET}")
    # The curated fixture carries MovieLens films: they must not be duplicated.
    call_command("loaddata", "movies", verbosity=0)

    fixture_films = Movie.objects.filter(movielens_id__isnull=False).count()

    first = run_import(REAL_DATASET, "--ratings")

    counts = re.search(
        r"Movies: (\d+) read, (\d+) created, (\d+) merged, (\d+) updated, "
        r"(\d+) unchanged",
        first,
    )
    assert counts is not None, first
    read, created, *others = map(int, counts.groups())
    assert read == created + sum(others) == 9742  # each row counted once
    assert created == 9742 - fixture_films
    assert Movie.objects.count() == 9742
    assert Rating.objects.count() == 100836
    assert User.objects.filter(username__startswith="movielens_").count() == 610
    toy_story = Movie.objects.get(movielens_id=1)
    assert (toy_story.title, toy_story.year) == ("Toy Story", 1995)
    assert (toy_story.imdb_id, toy_story.tmdb_id) == ("tt0114709", 862)
    shawshank = Movie.objects.get(title="The Shawshank Redemption", year=1994)
    assert shawshank.rating_count == shawshank.ratings.count() == 317
    assert Movie.objects.get(movielens_id=356).rating_count == 329  # Forrest Gump
    assert aggregates.rebuild() == []
    before = catalogue_state()

    output = run_import(REAL_DATASET, "--ratings")

    assert catalogue_state() == before
    assert "Movies: 9742 read, 0 created, 0 merged, 0 updated, 9742 unchanged" in output
    assert (
        "Ratings: 100836 read, 0 created, 0 updated, 100836 unchanged, "
        "0 superseded by a later row, 0 skipped"
    ) in output
