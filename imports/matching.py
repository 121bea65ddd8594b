"""Finding the catalogue's film for each row of a history file.

A row is matched by its IMDb id, else its TMDB id, else its title and year:
the title normalised as search normalises it (``movies.titles``) and then
compared exactly, the year exactly, or one year off when only one film is
that close. Two or more candidates are never guessed between: the row is
ambiguous and the candidates go back to the user. Letterboxd's URIs name
diary entries and lists as often as films, so they are never used.

The catalogue is read with one query per kind of key and per 500 keys,
whatever the number of rows.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from imports.parsing import HistoryRow
from movies.models import Movie
from movies.titles import normalize_title

_CHUNK = 500


@dataclass
class Matches:
    """Which film each matched row names, and the candidates of ambiguous rows.

    Both map a row's ``number``; a usable row in neither was not found. The
    films carry their id, title and year only.
    """

    movies: dict[int, Movie] = field(default_factory=dict)
    ambiguous: dict[int, list[int]] = field(default_factory=dict)


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


_FIELDS = ("pk", "title", "year")


def _by_external_id(
    rows: Sequence[HistoryRow],
) -> tuple[dict[str, Movie], dict[int, Movie]]:
    by_imdb: dict[str, Movie] = {}
    for ids in _chunks(row.imdb_id for row in rows if row.imdb_id):
        for movie in Movie.objects.filter(imdb_id__in=ids).only(*_FIELDS, "imdb_id"):
            by_imdb[str(movie.imdb_id)] = movie
    by_tmdb: dict[int, Movie] = {}
    for ids in _chunks(row.tmdb_id for row in rows if row.tmdb_id):
        for movie in Movie.objects.filter(tmdb_id__in=ids).only(*_FIELDS, "tmdb_id"):
            by_tmdb[int(movie.tmdb_id)] = movie  # type: ignore[arg-type]
    return by_imdb, by_tmdb


def _by_title(keys: Iterable[str]) -> dict[str, list[Movie]]:
    """Return ``{title key: [film, …]}`` of the films with these keys."""
    found: dict[str, list[Movie]] = defaultdict(list)
    for chunk in _chunks(keys):
        for movie in (
            Movie.objects.filter(title_key__in=chunk)
            .order_by("pk")
            .only(*_FIELDS, "title_key")
        ):
            found[movie.title_key].append(movie)
    return found


def _pick(films: list[Movie], year: int | None) -> list[Movie]:
    """Return the films a row of ``year`` may be: exact year, else one year off."""
    if year is None:
        return films
    exact = [film for film in films if film.year == year]
    if exact:
        return exact
    return [
        film for film in films if film.year is not None and abs(film.year - year) == 1
    ]


def match_rows(rows: Sequence[HistoryRow]) -> Matches:
    """Match every row without a problem to a film, or to its candidates."""
    usable = [row for row in rows if row.problem is None]
    by_imdb, by_tmdb = _by_external_id(usable)
    matches = Matches()
    by_name: list[tuple[HistoryRow, list[str]]] = []
    for row in usable:
        movie = (by_imdb.get(row.imdb_id) if row.imdb_id else None) or (
            by_tmdb.get(row.tmdb_id) if row.tmdb_id else None
        )
        if movie is not None:
            matches.movies[row.number] = movie
            continue
        keys = [normalize_title(title) for title in (row.title, *row.other_titles)]
        by_name.append((row, [key for key in keys if key]))
    films = _by_title(key for _row, keys in by_name for key in keys)
    for row, keys in by_name:
        for key in keys:  # The file's title first, then its other titles.
            candidates = _pick(films.get(key, []), row.year)
            if len(candidates) == 1:
                matches.movies[row.number] = candidates[0]
                break
            if candidates:
                matches.ambiguous[row.number] = [film.pk for film in candidates]
                break
    return matches
