"""``?search=`` by relevance and ``ordering=title``, alike on both databases."""

import random
from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from movies.models import Movie
from movies.search import movie_search
from movies.tests.factories import GenreFactory, MovieFactory, rate
from movies.trigrams import similarity, strict_word_similarity

pytestmark = pytest.mark.django_db


def titles(client: APIClient, **params: Any) -> list[str]:
    response = client.get(reverse("movies:movie-list"), {"page_size": 100, **params})
    assert response.status_code == HTTPStatus.OK, response.json()
    return [movie["title"] for movie in response.json()["results"]]


STAR_WARS = [
    "Star Wars: Episode IV - A New Hope",
    "Star Wars: Episode V - The Empire Strikes Back",
    "Star Wars: Episode I - The Phantom Menace",
    "Rogue One: A Star Wars Story",
]


@pytest.fixture
def catalogue() -> None:
    """A few films people search for, and some that look like them."""
    for title in [
        "The Shawshank Redemption",
        "Amélie",
        "Léon: The Professional",
        "The Godfather: Part II",
        "The Professional",
        "Leonard Part 6",
        "Star Trek",
        "Wars of the Roses",
        "Heat",
        "Godzilla",
        *STAR_WARS,
    ]:
        MovieFactory.create(title=title)
    # The more rated of two equally close spellings comes first.
    rate(MovieFactory.create(title="The Godfather"), "5.0", "4.5")
    rate(Movie.objects.get(title="The Godfather: Part II"), "4.0")


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("shawshank", "The Shawshank Redemption"),
        ("SHAWSHANK", "The Shawshank Redemption"),
        ("shawshenk", "The Shawshank Redemption"),
        ("the shawshank redemption", "The Shawshank Redemption"),
        ("shawshank redemption, the", "The Shawshank Redemption"),
        ("amelie", "Amélie"),
        ("AMÉLIE", "Amélie"),
        ("godfater", "The Godfather"),
        ("godfather", "The Godfather"),
        ("the godfather", "The Godfather"),
        ("godfather part 2", "The Godfather: Part II"),
        ("leon", "Léon: The Professional"),
        ("léon the profesional", "Léon: The Professional"),
    ],
)
def test_search_finds_the_film_first(
    api_client: APIClient, query: str, first: str
) -> None:
    assert titles(api_client, search=query)[0] == first


@pytest.mark.usefixtures("catalogue")
def test_search_for_words_finds_every_film_having_them(api_client: APIClient) -> None:
    found = titles(api_client, search="star wars")

    assert set(found[: len(STAR_WARS)]) == set(STAR_WARS)


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("query", ["xqzvkjw", "zzxxqq bbvv", "!!!"])
def test_search_that_resembles_nothing_is_empty(
    api_client: APIClient, query: str
) -> None:
    assert titles(api_client, search=query) == []


def test_search_ranks_exact_then_prefix_and_word_then_closest_spellings(
    api_client: APIClient,
) -> None:
    MovieFactory.create(title="Heart")  # a typo away
    rate(MovieFactory.create(title="Wheat"), "3.0")  # contains the letters
    MovieFactory.create(title="Heat Wave")  # starts with the query
    rate(MovieFactory.create(title="Dead Heat"), "3.0")  # has the word
    MovieFactory.create(title="Heat")
    MovieFactory.create(title="Casablanca")

    assert titles(api_client, search="heat") == [
        "Heat",
        "Dead Heat",  # as close as Heat Wave, and more rated
        "Heat Wave",
        "Wheat",
        "Heart",
    ]


def test_search_ties_go_to_the_more_rated_film(api_client: APIClient) -> None:
    MovieFactory.create(title="Emma", year=1996)
    rate(MovieFactory.create(title="Emma", year=2020), "4.0")

    response = api_client.get(reverse("movies:movie-list"), {"search": "emma"})

    assert [movie["year"] for movie in response.json()["results"]] == [2020, 1996]


def test_short_query_matches_title_prefixes_only(api_client: APIClient) -> None:
    for title in ["Gone Girl", "The Godfather", "Let's Go", "Lego Movie", "Ghost"]:
        MovieFactory.create(title=title)

    assert set(titles(api_client, search="go")) == {"Gone Girl", "The Godfather"}
    assert set(titles(api_client, search="G")) == {
        "Gone Girl",
        "The Godfather",
        "Ghost",
    }


def test_search_combines_with_filters_and_an_explicit_ordering(
    api_client: APIClient,
) -> None:
    crime = GenreFactory.create(slug="crime")
    MovieFactory.create(title="The Godfather", year=1972, genres=[crime])
    MovieFactory.create(title="The Godfather: Part III", year=1990, genres=[crime])
    MovieFactory.create(title="The Godfather: Part II", year=1974)

    assert titles(api_client, search="godfather", genre="crime") == [
        "The Godfather",
        "The Godfather: Part III",
    ]
    assert titles(api_client, search="godfather", ordering="-year") == [
        "The Godfather: Part III",
        "The Godfather: Part II",
        "The Godfather",
    ]


# --- Title order -------------------------------------------------------------

MIXED_TITLES = ["The Godfather", "Gamma", "'71", "Épsilon", "beta", "A Bug's Life"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("title", ["'71", "beta", "A Bug's Life", "Épsilon", "Gamma", "The Godfather"]),
        (
            "-title",
            ["The Godfather", "Gamma", "Épsilon", "A Bug's Life", "beta", "'71"],
        ),
        ("", ["'71", "beta", "A Bug's Life", "Épsilon", "Gamma", "The Godfather"]),
    ],
)
def test_title_order_ignores_case_accents_punctuation_and_articles(
    api_client: APIClient, ordering: str, expected: list[str]
) -> None:
    for title in MIXED_TITLES:
        MovieFactory.create(title=title)

    assert titles(api_client, ordering=ordering) == expected


# --- PostgreSQL --------------------------------------------------------------


@pytest.mark.postgres
def test_trigram_measures_of_sqlite_equal_pg_trgm() -> None:
    """The Python port scores exactly what PostgreSQL's pg_trgm scores."""
    rng = random.Random(7)
    words = ["godfather", "star", "wars", "leon", "amelie", "heat", "the", "1"]
    texts = [" ".join(rng.choices(words, k=rng.randint(1, 5))) for _ in range(60)]
    queries = ["godfater", "star wars", "lon", "heat wave", "zzz", "the 1", "amelie"]
    pairs = [(query, text) for query in queries for text in texts]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT strict_word_similarity(q, t), similarity(q, t) "
            "FROM unnest(%s::text[], %s::text[]) AS pairs(q, t)",
            [[q for q, _ in pairs], [t for _, t in pairs]],
        )
        expected = cursor.fetchall()

    computed = [(strict_word_similarity(q, t), similarity(q, t)) for q, t in pairs]

    flat = [score for row in computed for score in row]
    assert flat == pytest.approx([score for row in expected for score in row], abs=1e-6)
    assert any(0 < word < 1 for word, _ in computed)  # not only the easy cases


@pytest.mark.postgres
def test_typo_search_uses_the_trigram_index() -> None:
    rng = random.Random(3)
    letters = "abcdefghijklmnopqrstuvwxyz"
    Movie.objects.bulk_create(
        Movie(title=title, title_key=title)
        for title in (
            " ".join(
                "".join(rng.choices(letters, k=rng.randint(3, 9)))
                for _ in range(rng.randint(1, 4))
            )
            for _ in range(10000)
        )
    )
    MovieFactory.create(title="The Shawshank Redemption")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE movies_movie")

    plan = movie_search(Movie.objects.all(), query="shawshenk").explain()

    assert "movies_title_key_trgm" in plan, plan
    assert "Seq Scan on movies_movie" not in plan, plan
