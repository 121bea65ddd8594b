"""Matching typed rows to films, and the plan of writes, one step at a time."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from imports.matching import Matches, match_rows
from imports.parsing import HistoryFormat, HistoryRow, ParsedFile, Problem
from imports.services import import_plan
from imports.tests.history_files import (
    EMMA_A,
    EMMA_B,
    FORREST_GUMP,
    HEAT,
    MATRIX,
    SHAWSHANK,
    TOY_STORY,
    film,
)
from movies.tests.factories import MovieFactory

pytestmark = pytest.mark.django_db


def _row(number: int, title: str, year: int | None = None, **fields) -> HistoryRow:
    return HistoryRow(number=number, title=title, year=year, **fields)


def test_match_by_imdb_id_then_tmdb_id_then_title_and_year(catalogue):
    toy, matrix = film(TOY_STORY), film(MATRIX)
    rows = [
        _row(1, "Wrong title", 1900, imdb_id=toy.imdb_id),
        _row(2, "Wrong title", 1900, tmdb_id=matrix.tmdb_id),
        _row(3, "shawshank redemption, the", 1994),
        _row(4, "FORREST GUMP", 1995),  # One year off, one film that close.
        _row(5, "Heat", 1997),  # Two years off.
        _row(6, "Emma", 1996),
        _row(7, "Heat", 1995, imdb_id="tt9999999"),  # Unknown id: by title.
        _row(8, "Heat", 1995, problem=Problem.NOT_A_FILM),
    ]

    matches = match_rows(rows)

    assert matches.movies == {
        1: catalogue[TOY_STORY].pk,
        2: catalogue[MATRIX].pk,
        3: catalogue[SHAWSHANK].pk,
        4: catalogue[FORREST_GUMP].pk,
        7: catalogue[HEAT].pk,
    }
    assert matches.ambiguous == {
        6: sorted([catalogue[EMMA_A].pk, catalogue[EMMA_B].pk])
    }


def test_match_one_year_off_with_two_films_that_close_is_ambiguous(db):
    early = MovieFactory.create(title="Solaris", year=1971)
    late = MovieFactory.create(title="Solaris", year=1973)

    matches = match_rows([_row(1, "Solaris", 1972)])

    assert matches.ambiguous == {1: [early.pk, late.pk]}


def test_match_an_exact_year_wins_over_one_year_off(db):
    MovieFactory.create(title="Suspiria", year=1977)
    remake = MovieFactory.create(title="Suspiria", year=2018)
    MovieFactory.create(title="Suspiria", year=2019)

    assert match_rows([_row(1, "Suspiria", 2018)]).movies == {1: remake.pk}


def test_match_by_the_original_title_when_the_title_finds_nothing(db):
    amelie = MovieFactory.create(title="Le Fabuleux Destin d'Amélie Poulain", year=2001)
    row = _row(1, "Amélie", 2001, other_titles=("Le fabuleux destin d'Amélie Poulain",))

    assert match_rows([row]).movies == {1: amelie.pk}


def test_match_costs_one_query_per_kind_of_key(db, django_assert_num_queries):
    movies = MovieFactory.create_batch(30)
    rows = [
        _row(i, m.title, m.year, imdb_id=m.imdb_id if i % 2 else None)
        for i, m in enumerate(movies, start=1)
    ]

    with django_assert_num_queries(2):  # IMDb ids, then titles.
        matches = match_rows(rows)

    assert len(matches.movies) == 30


def _parsed(rows: list[HistoryRow]) -> ParsedFile:
    return ParsedFile(format=HistoryFormat.LETTERBOXD_IMPORT, rows=rows)


def test_plan_rates_from_the_rating_row_over_later_diary_rows(db):
    heat = MovieFactory.create()
    rows = [
        _row(1, "Heat", score=Decimal("2.0"), dated=date(2020, 1, 1)),
        _row(2, "Heat", score=Decimal("5.0"), watched_on=date(2021, 1, 1)),
        _row(3, "Heat", score=Decimal("4.0"), watched_on=date(2020, 6, 1)),
    ]

    plan = import_plan(_parsed(rows), Matches(movies=dict.fromkeys([1, 2, 3], heat.pk)))

    (rating,) = plan.ratings
    assert (rating.movie_id, rating.score) == (heat.pk, Decimal("2.0"))
    assert rating.created_at == datetime(2020, 1, 1, tzinfo=UTC)
    assert sorted((day, score) for _m, day, score, _r in plan.diary) == [
        (date(2020, 6, 1), Decimal("4.0")),
        (date(2021, 1, 1), Decimal("5.0")),
    ]


def test_plan_rates_from_the_latest_diary_row_with_a_score(db):
    heat = MovieFactory.create()
    rows = [
        _row(1, "Heat", score=Decimal("3.0"), watched_on=date(2020, 1, 1)),
        _row(2, "Heat", score=Decimal("4.5"), watched_on=date(2022, 1, 1)),
        _row(3, "Heat", watched_on=date(2023, 1, 1)),  # Seen again, no score.
    ]

    plan = import_plan(_parsed(rows), Matches(movies=dict.fromkeys([1, 2, 3], heat.pk)))

    (rating,) = plan.ratings
    assert rating.score == Decimal("4.5")
    assert rating.created_at == datetime(2022, 1, 1, tzinfo=UTC)
    assert len(plan.diary) == 3


def test_plan_of_watched_films_writes_nothing(db):
    heat = MovieFactory.create()
    parsed = ParsedFile(
        format=HistoryFormat.LETTERBOXD_WATCHED,
        rows=[_row(1, "Heat", score=Decimal("4.0"), watched_on=date(2020, 1, 1))],
    )

    plan = import_plan(parsed, Matches(movies={1: heat.pk}))

    assert (plan.ratings, plan.diary, plan.watchlist) == ([], [], [])
