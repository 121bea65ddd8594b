from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from movies.models import Movie
from movies.tests.factories import GenreFactory, MovieFactory, rate

pytestmark = pytest.mark.django_db


def titles(client: APIClient, **params: Any) -> list[str]:
    response = client.get(reverse("movies:movie-list"), params)
    assert response.status_code == HTTPStatus.OK, response.json()
    return [movie["title"] for movie in response.json()["results"]]


def error_fields(client: APIClient, **params: Any) -> set[str]:
    response = client.get(reverse("movies:movie-list"), params)
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.json()
    return set(response.json()["fields"])


# --- search ------------------------------------------------------------------


def test_search_matches_title_case_insensitively(api_client: APIClient) -> None:
    MovieFactory.create(title="The Matrix")
    MovieFactory.create(title="Matrix Reloaded")
    MovieFactory.create(title="Heat")

    assert titles(api_client, search="MATRIX") == ["The Matrix", "Matrix Reloaded"]


def test_search_ignores_punctuation_so_like_wildcards_match_nothing(
    api_client: APIClient,
) -> None:
    MovieFactory.create(title="100% Wolf")
    MovieFactory.create(title="100 Rifles")

    assert set(titles(api_client, search="100%")) == {"100% Wolf", "100 Rifles"}
    assert titles(api_client, search="%") == []
    assert titles(api_client, search="_") == []


def test_empty_search_counts_as_absent(api_client: APIClient) -> None:
    MovieFactory.create(title="Heat")

    assert titles(api_client, search="") == ["Heat"]


def test_search_with_nul_character_is_400(api_client: APIClient) -> None:
    assert error_fields(api_client, search="a\x00b") == {"search"}


# --- genre -------------------------------------------------------------------


@pytest.fixture
def genre_catalogue() -> None:
    drama = GenreFactory.create(name="Drama", slug="drama")
    war = GenreFactory.create(name="War", slug="war")
    comedy = GenreFactory.create(name="Comedy", slug="comedy")
    MovieFactory.create(title="Drama only", genres=[drama])
    MovieFactory.create(title="War drama", genres=[drama, war])
    MovieFactory.create(title="War comedy drama", genres=[drama, war, comedy])
    MovieFactory.create(title="No genres")


@pytest.mark.usefixtures("genre_catalogue")
def test_genre_filter_keeps_movies_with_that_genre(api_client: APIClient) -> None:
    assert titles(api_client, genre="war") == ["War comedy drama", "War drama"]


@pytest.mark.usefixtures("genre_catalogue")
@pytest.mark.parametrize(
    "query", ["?genre=drama&genre=war", "?genre=drama,war", "?genre=war,%20drama"]
)
def test_several_genres_keep_movies_having_all_of_them(
    api_client: APIClient, query: str
) -> None:
    response = api_client.get(reverse("movies:movie-list") + query)

    assert [movie["title"] for movie in response.json()["results"]] == [
        "War comedy drama",
        "War drama",
    ]


@pytest.mark.usefixtures("genre_catalogue")
def test_repeated_and_comma_separated_genres_combine(api_client: APIClient) -> None:
    response = api_client.get(
        reverse("movies:movie-list") + "?genre=drama,war&genre=comedy"
    )

    assert [movie["title"] for movie in response.json()["results"]] == [
        "War comedy drama"
    ]


@pytest.mark.usefixtures("genre_catalogue")
def test_same_genre_twice_counts_once(api_client: APIClient) -> None:
    response = api_client.get(reverse("movies:movie-list") + "?genre=war&genre=war")

    assert response.json()["count"] == 2


@pytest.mark.usefixtures("genre_catalogue")
@pytest.mark.parametrize("value", ["no-such-genre", "drama,no-such-genre", "Dr ama"])
def test_unknown_genre_gives_an_empty_list(api_client: APIClient, value: str) -> None:
    response = api_client.get(reverse("movies:movie-list"), {"genre": value})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["count"] == 0


@pytest.mark.usefixtures("genre_catalogue")
@pytest.mark.parametrize("query", ["?genre=", "?genre=,", "?genre=&genre="])
def test_empty_genre_counts_as_absent(api_client: APIClient, query: str) -> None:
    response = api_client.get(reverse("movies:movie-list") + query)

    assert response.json()["count"] == Movie.objects.count()


def test_genre_filter_lists_each_movie_once(api_client: APIClient) -> None:
    genres = GenreFactory.create_batch(3)
    MovieFactory.create(genres=genres)

    response = api_client.get(
        reverse("movies:movie-list"), {"genre": ",".join(g.slug for g in genres)}
    )

    assert response.json()["count"] == 1
    assert len(response.json()["results"]) == 1


def test_genre_with_nul_character_matches_nothing(api_client: APIClient) -> None:
    # A slug no genre has, like any unknown slug: an empty list, not a 400.
    MovieFactory.create(genres=[GenreFactory.create(slug="drama")])

    response = api_client.get(reverse("movies:movie-list"), {"genre": "dra\x00ma"})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["count"] == 0


# --- year, year_min, year_max, min_ratings -----------------------------------


@pytest.fixture
def years() -> None:
    for year in (1990, 1995, 2000):
        MovieFactory.create(title=f"From {year}", year=year)
    MovieFactory.create(title="Undated", year=None)


@pytest.mark.usefixtures("years")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"year": "1995"}, ["From 1995"]),
        ({"year_min": "1995"}, ["From 1995", "From 2000"]),
        ({"year_max": "1995"}, ["From 1990", "From 1995"]),
        ({"year_min": "1991", "year_max": "1999"}, ["From 1995"]),
        ({"year_min": "2001"}, []),
        ({"year": ""}, ["From 1990", "From 1995", "From 2000", "Undated"]),
        ({"year": " 1995 "}, ["From 1995"]),
    ],
)
def test_year_filters(
    api_client: APIClient, params: dict[str, str], expected: list[str]
) -> None:
    assert titles(api_client, **params) == expected


@pytest.mark.parametrize("name", ["year", "year_min", "year_max", "min_ratings"])
@pytest.mark.parametrize("value", ["soon", "1995.5", "1e3", "-1", "99999999999999999"])
def test_integer_filter_with_invalid_value_is_400(
    api_client: APIClient, name: str, value: str
) -> None:
    assert error_fields(api_client, **{name: value}) == {name}


def test_min_ratings_keeps_movies_with_at_least_that_many(
    api_client: APIClient,
) -> None:
    rate(MovieFactory.create(title="Two"), "3.0", "4.0")
    rate(MovieFactory.create(title="One"), "3.0")
    MovieFactory.create(title="None")

    assert titles(api_client, min_ratings="2") == ["Two"]
    assert titles(api_client, min_ratings="1") == ["One", "Two"]
    assert titles(api_client, min_ratings="0") == ["None", "One", "Two"]


def test_unknown_parameters_are_ignored(api_client: APIClient) -> None:
    MovieFactory.create(title="Heat")

    assert titles(api_client, colour="blue", title="nope") == ["Heat"]


def test_several_invalid_parameters_are_all_named(api_client: APIClient) -> None:
    assert error_fields(api_client, year="soon", ordering="bad", min_ratings="x") == {
        "year",
        "ordering",
        "min_ratings",
    }


# --- ordering ----------------------------------------------------------------


@pytest.fixture
def rated_catalogue(settings: Any) -> None:
    """Movies whose average and weighted orders differ.

    With m = 2 and C = (5 + 4.5·6 + 3) / 8 = 4.375: "One perfect" has R 5.0 but
    one vote (weighted 4.58), "Many good" R 4.5 with six votes (weighted 4.47),
    "One poor" R 3.0 (weighted 3.92).
    """
    settings.RATINGS_MIN_VOTES = 2
    rate(MovieFactory.create(title="One perfect", year=2001), "5.0")
    rate(MovieFactory.create(title="Many good", year=1999), *["4.5"] * 6)
    rate(MovieFactory.create(title="One poor", year=2003), "3.0")
    MovieFactory.create(title="Alpha unrated", year=2002)
    MovieFactory.create(title="Z unrated", year=1998)


@pytest.mark.usefixtures("rated_catalogue")
@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (
            "",
            ["Alpha unrated", "Many good", "One perfect", "One poor", "Z unrated"],
        ),
        (
            "title",
            ["Alpha unrated", "Many good", "One perfect", "One poor", "Z unrated"],
        ),
        (
            "-title",
            ["Z unrated", "One poor", "One perfect", "Many good", "Alpha unrated"],
        ),
        (
            "year",
            ["Z unrated", "Many good", "One perfect", "Alpha unrated", "One poor"],
        ),
        (
            "-year",
            ["One poor", "Alpha unrated", "One perfect", "Many good", "Z unrated"],
        ),
        (
            "average_rating",
            ["One poor", "Many good", "One perfect", "Alpha unrated", "Z unrated"],
        ),
        (
            "-average_rating",
            ["One perfect", "Many good", "One poor", "Alpha unrated", "Z unrated"],
        ),
        (
            "weighted_rating",
            ["One poor", "Many good", "One perfect", "Alpha unrated", "Z unrated"],
        ),
        (
            "-weighted_rating",
            ["One perfect", "Many good", "One poor", "Alpha unrated", "Z unrated"],
        ),
        (
            "rating_count",
            ["One perfect", "One poor", "Many good", "Alpha unrated", "Z unrated"],
        ),
        (
            "-rating_count",
            ["Many good", "One perfect", "One poor", "Alpha unrated", "Z unrated"],
        ),
    ],
)
def test_ordering(api_client: APIClient, ordering: str, expected: list[str]) -> None:
    assert titles(api_client, ordering=ordering) == expected


def test_weighted_ordering_lets_many_votes_beat_one_perfect_score(
    api_client: APIClient, settings: Any
) -> None:
    settings.RATINGS_MIN_VOTES = 10
    rate(MovieFactory.create(title="One perfect"), "5.0")
    rate(MovieFactory.create(title="Many good"), *["4.5"] * 30)
    rate(MovieFactory.create(title="Few bad"), "1.0", "1.0")

    assert titles(api_client, ordering="-average_rating") == [
        "One perfect",
        "Many good",
        "Few bad",
    ]
    assert titles(api_client, ordering="-weighted_rating") == [
        "Many good",
        "One perfect",
        "Few bad",
    ]


@pytest.mark.usefixtures("rated_catalogue")
@pytest.mark.parametrize("ordering", ["weighted_rating", "-weighted_rating"])
def test_weighted_ordering_agrees_with_the_weighted_ratings_shown(
    api_client: APIClient, ordering: str
) -> None:
    response = api_client.get(reverse("movies:movie-list"), {"ordering": ordering})

    shown = [m["weighted_rating"] for m in response.json()["results"]]
    rated = [value for value in shown if value is not None]
    assert rated == sorted(rated, reverse=ordering.startswith("-"))
    assert shown[len(rated) :] == [None] * (len(shown) - len(rated))


def test_created_at_ordering_follows_creation(api_client: APIClient) -> None:
    start = timezone.now()
    for minutes, title in enumerate(["B first", "A second", "C third"]):
        movie = MovieFactory.create(title=title)
        Movie.objects.filter(pk=movie.pk).update(
            created_at=start + timedelta(minutes=minutes)
        )

    assert titles(api_client, ordering="created_at") == [
        "B first",
        "A second",
        "C third",
    ]
    assert titles(api_client, ordering="-created_at") == [
        "C third",
        "A second",
        "B first",
    ]


def test_ties_are_broken_by_id_so_pages_do_not_overlap(api_client: APIClient) -> None:
    movies = [MovieFactory.create(title="Same", year=2000) for _ in range(5)]

    seen = []
    for page in (1, 2, 3):
        response = api_client.get(
            reverse("movies:movie-list"),
            {"ordering": "-year", "page_size": "2", "page": str(page)},
        )
        seen += [movie["id"] for movie in response.json()["results"]]

    assert seen == [movie.pk for movie in movies]


@pytest.mark.parametrize(
    "ordering",
    [
        *("popularity", "id", "-", "title;drop", "Title"),
        *(",", "title,", ",title", "title,,year", " , "),
    ],
)
def test_invalid_ordering_is_400(api_client: APIClient, ordering: str) -> None:
    assert error_fields(api_client, ordering=ordering) == {"ordering"}


def test_weighted_ordering_without_any_rating_falls_back_to_id(
    api_client: APIClient,
) -> None:
    first = MovieFactory.create(title="B")
    second = MovieFactory.create(title="A")

    response = api_client.get(
        reverse("movies:movie-list"), {"ordering": "-weighted_rating"}
    )

    assert [m["id"] for m in response.json()["results"]] == [first.pk, second.pk]


def test_filters_and_ordering_combine(api_client: APIClient) -> None:
    drama = GenreFactory.create(slug="drama")
    rate(MovieFactory.create(title="Old drama", year=1950, genres=[drama]), "3.0")
    rate(MovieFactory.create(title="New drama", year=2010, genres=[drama]), "4.0")
    rate(MovieFactory.create(title="New other", year=2010), "5.0")

    assert titles(
        api_client, genre="drama", year_min="1940", ordering="-average_rating"
    ) == ["New drama", "Old drama"]
