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

    Both map a row's ``number`` to movie ids; a usable row in neither was not
    found.
    """

    movies: dict[int, int] = field(default_factory=dict)
    ambiguous: dict[int, list[int]] = field(default_factory=dict)


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def _by_external_id(
    rows: Sequence[HistoryRow],
) -> tuple[dict[str, int], dict[int, int]]:
    # Plain values, not model instances: a file names thousands of films.
    by_imdb: dict[str, int] = {}
    for ids in _chunks(row.imdb_id for row in rows if row.imdb_id):
        found = Movie.objects.filter(imdb_id__in=ids).values_list("imdb_id", "pk")
        by_imdb.update((str(imdb_id), pk) for imdb_id, pk in found)
    by_tmdb: dict[int, int] = {}
    for ids in _chunks(row.tmdb_id for row in rows if row.tmdb_id):
        pairs = Movie.objects.filter(tmdb_id__in=ids).values_list("tmdb_id", "pk")
        by_tmdb.update((int(tmdb_id or 0), pk) for tmdb_id, pk in pairs)
    return by_imdb, by_tmdb


def _by_title(keys: Iterable[str]) -> dict[str, list[tuple[int | None, int]]]:
    """Return ``{title key: [(year, pk), …]}`` of the films with these keys."""
    found: dict[str, list[tuple[int | None, int]]] = defaultdict(list)
    for chunk in _chunks(keys):
        for key, year, pk in (
            Movie.objects.filter(title_key__in=chunk)
            .order_by("pk")
            .values_list("title_key", "year", "pk")
        ):
            found[key].append((year, pk))
    return found


def _pick(films: list[tuple[int | None, int]], year: int | None) -> list[int]:
    """Return the films a row of ``year`` may be: exact year, else one year off."""
    if year is None:
        return [pk for _year, pk in films]
    exact = [pk for film_year, pk in films if film_year == year]
    if exact:
        return exact
    return [
        pk
        for film_year, pk in films
        if film_year is not None and abs(film_year - year) == 1
    ]


def match_rows(rows: Sequence[HistoryRow]) -> Matches:
    """Match every row without a problem to a film, or to its candidates."""
    usable = [row for row in rows if row.problem is None]
    by_imdb, by_tmdb = _by_external_id(usable)
    matches = Matches()
    by_name: list[tuple[HistoryRow, list[str]]] = []
    for row in usable:
        movie_id = (by_imdb.get(row.imdb_id) if row.imdb_id else None) or (
            by_tmdb.get(row.tmdb_id) if row.tmdb_id else None
        )
        if movie_id is not None:
            matches.movies[row.number] = movie_id
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
                matches.ambiguous[row.number] = candidates
                break
    return matches
