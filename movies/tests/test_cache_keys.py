"""Keys of cached lists: one entry per query, never one for two queries."""

from http import HTTPStatus
from typing import Any

import pytest
from django.http import QueryDict
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from movies.cache import query_key
from movies.models import Movie
from movies.tests.factories import GenreFactory, MovieFactory

LIST = reverse("movies:movie-list")

# Characters that delimit or encode a query string, and a few plain ones: the
# encodings of one query differ only in these.
_QUERY_CHARACTERS = st.text(alphabet="ab1,&=%+ ;3D2C6", max_size=12)


def _meaning(query: QueryDict) -> dict[str, list[str]]:
    """Return what a view can read of a query: each name's values in order."""
    return {name: query.getlist(name) for name in query}


@given(first=_QUERY_CHARACTERS, second=_QUERY_CHARACTERS)
def test_two_query_strings_share_a_key_only_if_they_mean_the_same(first, second):
    a, b = QueryDict(first), QueryDict(second)

    same_key = query_key("movies", a) == query_key("movies", b)

    assert same_key == (_meaning(a) == _meaning(b))


@given(
    params=st.lists(
        st.tuples(st.sampled_from(["genre", "page", "year"]), _QUERY_CHARACTERS),
        max_size=4,
    )
)
def test_parameter_order_across_names_does_not_change_the_key(params):
    forward, backward = QueryDict(mutable=True), QueryDict(mutable=True)
    for name, value in params:
        forward.appendlist(name, value)
    for name in reversed(dict.fromkeys(name for name, _value in params)):
        backward.setlist(name, forward.getlist(name))

    assert query_key("movies", forward) == query_key("movies", backward)


def _page(body: dict[str, Any]) -> tuple[int, list[int]]:
    return body["count"], [movie["id"] for movie in body["results"]]


@pytest.fixture
def dramas(db: None) -> list[Movie]:
    drama = GenreFactory.create(name="Drama")
    return [
        MovieFactory.create(title=title, year=1995, genres=[drama])
        for title in ("Alpha", "Beta")
    ]


@pytest.mark.parametrize(
    ("poison", "query"),
    [
        ("genre=drama%26year_min%3D1990", "genre=drama&year_min=1990"),
        ("ordering%3D-year%26page_size=1", "ordering=-year&page_size=1"),
        ("page_size=1&page=2&page=1", "page_size=1&page=1&page=2"),
    ],
)
def test_an_encoded_query_does_not_fill_the_entry_of_another(
    api_client: APIClient, dramas: list[Movie], poison: str, query: str
):
    api_client.get(f"{LIST}?{poison}")  # Fills its own entry, on a cold cache.

    response = api_client.get(f"{LIST}?{query}")

    assert response.status_code == HTTPStatus.OK
    # An unknown parameter changes the key, not the meaning: computed afresh.
    fresh = api_client.get(f"{LIST}?{query}&fresh=1").json()
    assert _page(response.json()) == _page(fresh)


def test_a_client_sent_forwarded_proto_stays_in_its_own_entry(
    api_client: APIClient, dramas: list[Movie]
):
    api_client.get(
        LIST,
        {"page_size": 1},
        HTTP_HOST="testserver",  # As a browser sends it, whatever the scheme.
        HTTP_X_FORWARDED_PROTO="https",
    )

    response = api_client.get(LIST, {"page_size": 1})

    assert response.json()["next"].startswith("http://testserver/")
