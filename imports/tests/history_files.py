"""History files in IMDb's and Letterboxd's real formats, built from MovieLens.

IMDb and TMDB ids come from MovieLens' ``links.csv``, titles and years from
its ``movies.csv`` (read as the MovieLens import reads them), so the files
name real films the way those sites name them.
"""

import csv
import functools
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from movies.models import Movie
from ratings.loading.movielens import Dataset, import_movielens, parse_title

DATASET = (
    Path(settings.BASE_DIR).parent
    / "shared"
    / "datasets"
    / "movielens"
    / "ml-latest-small"
)

IMDB_HEADER = [
    "Const",
    "Your Rating",
    "Date Rated",
    "Title",
    "Original Title",
    "URL",
    "Title Type",
    "IMDb Rating",
    "Runtime (mins)",
    "Year",
    "Genres",
    "Num Votes",
    "Release Date",
    "Directors",
]
LETTERBOXD_RATINGS_HEADER = ["Date", "Name", "Year", "Letterboxd URI", "Rating"]
LETTERBOXD_DIARY_HEADER = [
    "Date",
    "Name",
    "Year",
    "Letterboxd URI",
    "Rating",
    "Rewatch",
    "Tags",
    "Watched Date",
]
LETTERBOXD_REVIEWS_HEADER = [
    "Date",
    "Name",
    "Year",
    "Letterboxd URI",
    "Rating",
    "Rewatch",
    "Review",
    "Tags",
    "Watched Date",
]
LETTERBOXD_LIST_HEADER = ["Date", "Name", "Year", "Letterboxd URI"]

# Well-known MovieLens films, by movieId.
TOY_STORY, JUMANJI, HEAT, SHAWSHANK, PULP_FICTION = 1, 2, 6, 318, 296
FORREST_GUMP, MATRIX, FIGHT_CLUB = 356, 2571, 2959
# Two different films called "Emma (1996)".
EMMA_A, EMMA_B = 838, 26958


@dataclass(frozen=True)
class Film:
    movielens_id: int
    title: str
    year: int | None
    imdb_id: str
    tmdb_id: int | None

    @property
    def letterboxd_uri(self) -> str:
        # A diary entry's URI, as Letterboxd writes it: it names no film.
        return f"https://boxd.it/{self.movielens_id:x}"


@functools.cache
def movielens_films() -> dict[int, Film]:
    """Return every MovieLens film of ml-latest-small by movieId."""
    links: dict[int, tuple[str, int | None]] = {}
    with (DATASET / "links.csv").open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            tmdb = row["tmdbId"]
            links[int(row["movieId"])] = (
                f"tt{row['imdbId']}",
                int(tmdb) if tmdb else None,
            )
    films = {}
    with (DATASET / "movies.csv").open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            movie_id = int(row["movieId"])
            title, year = parse_title(row["title"])
            imdb_id, tmdb_id = links[movie_id]
            films[movie_id] = Film(movie_id, title, year, imdb_id, tmdb_id)
    return films


def film(movielens_id: int) -> Film:
    return movielens_films()[movielens_id]


def load_films(tmp_path: Path, movielens_ids: Iterable[int]) -> dict[int, Movie]:
    """Import these MovieLens films through ``import_movielens``; return them."""
    ids = set(movielens_ids)
    directory = tmp_path / "movielens"
    directory.mkdir(exist_ok=True)
    for name in ("movies.csv", "links.csv"):
        with (DATASET / name).open(newline="", encoding="utf-8") as source:
            rows = list(csv.reader(source))
        with (directory / name).open("w", newline="", encoding="utf-8") as target:
            csv.writer(target).writerows(
                [rows[0], *(row for row in rows[1:] if int(row[0]) in ids)]
            )
    import_movielens(Dataset.from_directory(directory), with_ratings=False)
    return {m.movielens_id: m for m in Movie.objects.filter(movielens_id__in=ids)}  # type: ignore[misc]


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def imdb_row(
    f: Film,
    rating: int,
    rated: str = "2021-03-04",
    *,
    title_type: str = "Movie",
    original: bool = True,
) -> list[object]:
    """A row of IMDb's ratings export (with or without ``Original Title``)."""
    row: list[object] = [
        f.imdb_id,
        rating,
        rated,
        f.title,
        f.title,
        f"https://www.imdb.com/title/{f.imdb_id}/",
        title_type,
        7.9,
        101,
        f.year,
        "Drama, Comedy",
        123456,
        f"{f.year}-01-01",
        "Some Director, Another One",
    ]
    if not original:
        del row[4]
    return row


def imdb_file(rows: Iterable[list[object]], *, original: bool = True) -> bytes:
    header = list(IMDB_HEADER)
    if not original:
        header.remove("Original Title")
    return csv_bytes(header, rows)
