"""OpenAPI metadata of the movies app's views: summaries, examples, bodies.

What drf-spectacular cannot read off the views and serializers, kept apart so
that ``views.py`` holds HTTP handling alone. Each viewset's metadata is one
decorator.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from movies.serializers import (
    GenreInputSerializer,
    GenreSerializer,
    MovieDetailSerializer,
    MovieInputSerializer,
)

_View = TypeVar("_View", bound=type[Any])

# Schema examples of the catalogue's main responses (shapes of real bodies).
_MOVIE_EXAMPLE = {
    "id": 7,
    "title": "Heat",
    "year": 1995,
    "genres": [
        {"id": 1, "name": "Action", "slug": "action"},
        {"id": 5, "name": "Crime", "slug": "crime"},
        {"id": 17, "name": "Thriller", "slug": "thriller"},
    ],
    "overview": "A group of professional bank robbers start to feel the heat "
    "from police when they unknowingly leave a clue at their latest heist.",
    "runtime_minutes": 170,
    "imdb_id": "tt0113277",
    "tmdb_id": 949,
    "average_rating": 3.94,
    "weighted_rating": 3.9,
    "rating_count": 102,
    "created_at": "2026-01-15T18:30:00Z",
    "updated_at": "2026-02-01T09:12:45Z",
}
# The movie summary as profiles, watchlists, diaries and recommendations show it.
MOVIE_SUMMARY_EXAMPLE = {
    key: _MOVIE_EXAMPLE[key]
    for key in (
        "id",
        "title",
        "year",
        "genres",
        "average_rating",
        "weighted_rating",
        "rating_count",
    )
}
_MOVIE_LIST_EXAMPLES = [
    OpenApiExample("A page of movies", response_only=True, value=_MOVIE_EXAMPLE),
]
_MOVIE_DETAIL_EXAMPLES = [
    OpenApiExample(
        "A rated movie",
        response_only=True,
        value={
            **_MOVIE_EXAMPLE,
            "rating_distribution": {
                "0.5": 1,
                "1.0": 1,
                "1.5": 0,
                "2.0": 3,
                "2.5": 4,
                "3.0": 12,
                "3.5": 18,
                "4.0": 31,
                "4.5": 14,
                "5.0": 18,
            },
            "my_rating": {
                "id": 311,
                "score": 4.5,
                "review": "The coffee shop scene alone.",
                "updated_at": "2026-02-01T09:12:45Z",
            },
            "in_watchlist": False,
        },
    ),
]


def _viewset(tag: str, **actions: Any) -> Callable[[_View], _View]:
    """Return a decorator giving a viewset its tag and its actions' metadata."""

    def decorate(viewset: _View) -> _View:
        return extend_schema(tags=[tag])(extend_schema_view(**actions)(viewset))

    return decorate


genre_viewset = _viewset(
    "genres",
    list=extend_schema(summary="List genres"),
    retrieve=extend_schema(summary="A genre"),
    create=extend_schema(
        summary="Create a genre (admin)",
        request=GenreInputSerializer,
        responses={201: GenreSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a genre (admin)",
        request=GenreInputSerializer,
        responses={200: GenreSerializer},
    ),
    destroy=extend_schema(
        summary="Delete a genre (admin); its movies stay",
        responses={204: OpenApiResponse(description="Deleted.")},
    ),
)

movie_viewset = _viewset(
    "movies",
    list=extend_schema(
        summary="List movies, filtered and ordered", examples=_MOVIE_LIST_EXAMPLES
    ),
    retrieve=extend_schema(
        summary="A movie with its rating distribution and your rating",
        description="Every field of the catalogue plus the count of ratings per "
        "score and, with a token, `my_rating` (null if you have not rated the "
        "movie) and `in_watchlist`. The `ETag` of the response can be sent "
        "back in `If-None-Match` for a `304 Not Modified` while the movie is "
        "unchanged.",
        examples=_MOVIE_DETAIL_EXAMPLES,
    ),
    create=extend_schema(
        summary="Add a movie (admin)",
        request=MovieInputSerializer,
        responses={201: MovieDetailSerializer},
    ),
    update=extend_schema(
        summary="Replace a movie (admin); omitted optional fields are reset",
        request=MovieInputSerializer,
        responses={200: MovieDetailSerializer},
    ),
    partial_update=extend_schema(
        summary="Change some fields of a movie (admin)",
        request=MovieInputSerializer,
        responses={200: MovieDetailSerializer},
    ),
    destroy=extend_schema(
        summary="Delete a movie and its ratings (admin)",
        responses={204: OpenApiResponse(description="Deleted.")},
    ),
)
