"""Reading a MovieLens data set: files, CSV rows and titles, validated."""

import csv
import functools
import io
import re
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO

from django.utils.text import slugify

from movies.models import MIN_YEAR, SCORES, Genre, Movie
from movies.titles import ARTICLES

MOVIES_CSV, LINKS_CSV, RATINGS_CSV = "movies.csv", "links.csv", "ratings.csv"
NO_GENRES = "(no genres listed)"
TITLE_MAX_LENGTH = Movie._meta.get_field("title").max_length or 255
GENRE_MAX_LENGTH = Genre._meta.get_field("name").max_length or 64

# The article MovieLens moved behind the title, before any ": subtitle"
# ("Crow, The: Wicked Prayer").
_ARTICLE_RE = re.compile(
    r"^(?P<body>.+?),\s*(?P<article>"
    + "|".join(map(re.escape, ARTICLES))
    + r")(?P<subtitle>:\s.*)?$"
)
# "(1995)" or a series' "(2006-2007)" (with a hyphen or an en dash) at the end.
_YEAR_RE = re.compile(r"\s*\((?P<year>\d{4})(?:\s*[-\u2013]\s*(?:\d{4})?)?\)\s*$")
_TRAILING_GROUP_RE = re.compile(r"\s*\((?P<inner>[^()]*)\)\s*$")
_ALIAS_RE = re.compile(r"^a\.?k\.?a\.?\s", re.IGNORECASE)


class MovieLensError(Exception):
    """The data set cannot be read or is not in the MovieLens format."""


@dataclass(frozen=True)
class MovieRow:
    movielens_id: int
    title: str
    year: int | None
    genres: tuple[str, ...]


@dataclass(frozen=True)
class LinkRow:
    imdb_id: str | None
    tmdb_id: int | None


@dataclass(frozen=True)
class RatingRow:
    user: int
    movie: int
    score: Decimal
    timestamp: int


# --- Titles -----------------------------------------------------------------


def _front_article(text: str) -> str:
    match = _ARTICLE_RE.match(text.strip())
    if match is None:
        return text.strip()
    article, body = match["article"], match["body"].strip()
    subtitle = match["subtitle"] or ""
    if article.endswith("'"):
        return f"{article}{body}{subtitle}"
    return f"{article} {body}{subtitle}"


def parse_title(raw: str) -> tuple[str, int | None]:
    """Return (title, year) from a MovieLens title such as "Matrix, The (1999)".

    The article goes back to the front of the title and of each alternative
    title in parentheses, "(a.k.a. ...)" aliases are dropped and a missing or
    implausible year is None.
    """
    text = " ".join(raw.split())
    year: int | None = None
    match = _YEAR_RE.search(text)
    if match is not None and match.start() > 0:
        year = int(match["year"])
        text = text[: match.start()]
    groups: list[str] = []
    while (group := _TRAILING_GROUP_RE.search(text)) is not None and group.start() > 0:
        groups.insert(0, group["inner"].strip())
        text = text[: group.start()]
    parts = [_front_article(text)]
    parts += [f"({_front_article(g)})" for g in groups if g and not _ALIAS_RE.match(g)]
    title = " ".join(parts)[:TITLE_MAX_LENGTH].strip()
    if year is not None and year < MIN_YEAR:
        year = None
    return title, year


@functools.cache
def genre_slug(name: str) -> str:
    """Return the slug of a genre name (Unicode letters kept if ASCII has none)."""
    slug = slugify(name) or slugify(name, allow_unicode=True)
    return slug[: Genre._meta.get_field("slug").max_length or 64]


# --- Reading ----------------------------------------------------------------


class Dataset:
    """The CSV files of a data set, in a directory or a zip archive."""

    def __init__(self, *, source: str, opener: Callable[[str], IO[bytes]] | None):
        self.source = source
        self._opener = opener
        self._names: set[str] = set()

    @classmethod
    def from_directory(cls, path: Path) -> "Dataset":
        dataset = cls(source=str(path), opener=lambda name: (path / name).open("rb"))
        dataset._names = {p.name for p in path.iterdir() if p.is_file()}
        return dataset

    @classmethod
    def from_zip(cls, archive: zipfile.ZipFile, source: str) -> "Dataset":
        # Members may sit under a top folder; the shallowest one of a name wins.
        members: dict[str, str] = {}
        for member in sorted(archive.namelist(), key=lambda n: (n.count("/"), n)):
            name = member.rsplit("/", 1)[-1]
            if name and not member.startswith("__MACOSX/"):
                members.setdefault(name, member)
        dataset = cls(source=source, opener=lambda name: archive.open(members[name]))
        dataset._names = set(members)
        return dataset

    def has(self, name: str) -> bool:
        return name in self._names

    @contextmanager
    def open(self, name: str) -> Iterator[IO[str]]:
        if not self.has(name) or self._opener is None:
            raise MovieLensError(f"{self.source} has no {name}.")
        with self._opener(name) as raw:
            # utf-8-sig drops a byte-order mark; newline="" as the csv module needs.
            yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _download(url: str, target: IO[bytes]) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (http(s) only)
            shutil.copyfileobj(response, target)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise MovieLensError(f"Could not download {url}: {exc}") from exc
    target.flush()


@contextmanager
def open_dataset(location: str) -> Iterator[Dataset]:
    """Open a MovieLens directory, a .zip of one, or an http(s) URL of a .zip."""
    if location.startswith(("http://", "https://")):
        with tempfile.NamedTemporaryFile(suffix=".zip") as download:
            _download(location, download)
            with _open_zip(Path(download.name), source=location) as dataset:
                yield dataset
        return
    path = Path(location)
    if path.is_dir():
        yield Dataset.from_directory(path)
    elif path.is_file():
        with _open_zip(path, source=location) as dataset:
            yield dataset
    else:
        raise MovieLensError(f"{location} is neither a directory nor a file.")


@contextmanager
def _open_zip(path: Path, *, source: str) -> Iterator[Dataset]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise MovieLensError(f"{source} is not a readable zip archive: {exc}") from exc
    with archive:
        yield Dataset.from_zip(archive, source)


def _rows(
    dataset: Dataset, name: str, columns: tuple[str, ...]
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, values of ``columns``) for each row of a CSV file."""
    with dataset.open(name) as text:
        reader = csv.reader(text)
        try:
            header = [column.strip() for column in next(reader, [])]
            missing = [column for column in columns if column not in header]
            if missing:
                raise MovieLensError(
                    f"{name}: missing column(s) {', '.join(missing)}; "
                    f"found {', '.join(header) or 'no header'}."
                )
            indexes = [header.index(column) for column in columns]
            width = max(indexes) + 1
            for values in reader:
                if not values:
                    continue
                if len(values) < width:
                    raise MovieLensError(
                        f"{name} line {reader.line_num}: expected {len(header)} "
                        f"values, found {len(values)}."
                    )
                yield reader.line_num, [values[i] for i in indexes]
        except (csv.Error, UnicodeDecodeError) as exc:
            raise MovieLensError(f"{name} line {reader.line_num}: {exc}") from exc


def _integer(text: str, *, name: str, line: int, column: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise MovieLensError(f"{name} line {line}: {column} {text!r} is not a number.")
    return value


def read_movies(dataset: Dataset) -> list[MovieRow]:
    """Return the rows of movies.csv, validated."""
    movies: dict[int, MovieRow] = {}
    columns = ("movieId", "title", "genres")
    for line, (movie_id, raw_title, genres) in _rows(dataset, MOVIES_CSV, columns):
        movielens_id = _integer(movie_id, name=MOVIES_CSV, line=line, column="movieId")
        title, year = parse_title(raw_title)
        if not title:
            raise MovieLensError(f"{MOVIES_CSV} line {line}: the title is blank.")
        names = (g.strip()[:GENRE_MAX_LENGTH] for g in genres.split("|"))
        kept = tuple(g for g in names if g and g != NO_GENRES and genre_slug(g))
        movies[movielens_id] = MovieRow(movielens_id, title, year, kept)
    return list(movies.values())


def read_links(dataset: Dataset) -> dict[int, LinkRow]:
    """Return links.csv as {movieId: LinkRow}; empty if the file is absent."""
    if not dataset.has(LINKS_CSV):
        return {}
    links: dict[int, LinkRow] = {}
    columns = ("movieId", "imdbId", "tmdbId")
    for line, (movie_id, imdb, tmdb) in _rows(dataset, LINKS_CSV, columns):
        imdb, tmdb = imdb.strip(), tmdb.strip()
        imdb_number = _integer(imdb, name=LINKS_CSV, line=line, column="imdbId")
        if imdb and not 0 < imdb_number < 10**10:
            raise MovieLensError(f"{LINKS_CSV} line {line}: bad imdbId {imdb!r}.")
        tmdb_id = (
            _integer(tmdb, name=LINKS_CSV, line=line, column="tmdbId") if tmdb else 0
        )
        links[_integer(movie_id, name=LINKS_CSV, line=line, column="movieId")] = (
            LinkRow(
                imdb_id=f"tt{imdb_number:07d}" if imdb else None,
                tmdb_id=tmdb_id or None,
            )
        )
    return links


def read_ratings(dataset: Dataset) -> list[RatingRow]:
    """Return the rows of ratings.csv, validated."""
    scores: dict[str, Decimal] = {}
    ratings: list[RatingRow] = []
    columns = ("userId", "movieId", "rating", "timestamp")
    for line, (user, movie, rating, stamp) in _rows(dataset, RATINGS_CSV, columns):
        score = scores.get(rating)
        if score is None:
            try:
                score = Decimal(rating.strip())
            except InvalidOperation:
                score = Decimal(-1)
            if score not in SCORES:
                raise MovieLensError(
                    f"{RATINGS_CSV} line {line}: rating {rating!r} is not one of "
                    "0.5, 1.0, ... 5.0."
                )
            scores[rating] = score
        ratings.append(
            RatingRow(
                user=_integer(user, name=RATINGS_CSV, line=line, column="userId"),
                movie=_integer(movie, name=RATINGS_CSV, line=line, column="movieId"),
                score=score,
                timestamp=_integer(
                    stamp, name=RATINGS_CSV, line=line, column="timestamp"
                ),
            )
        )
    return ratings
