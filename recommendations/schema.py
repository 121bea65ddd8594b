"""The OpenAPI description of the recommendations views."""

from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)

from movieratings.openapi import AutoSchema, ErrorSerializer, id_parameter
from movies.schema import MOVIE_SUMMARY_EXAMPLE
from recommendations.serializers import (
    RECOMMENDATIONS_LIMIT_DEFAULT,
    RECOMMENDATIONS_LIMIT_MAX,
    SIMILAR_LIMIT_DEFAULT,
    SIMILAR_LIMIT_MAX,
    RecommendationsSerializer,
    SimilarMoviesSerializer,
)


class QueryParametersSchema(AutoSchema):
    """The project's schema, saying of each query parameter that an empty value
    counts as absent (API contract), as the filters' parameters do."""

    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_parameters()
        for parameter in parameters:
            if parameter["in"] == OpenApiParameter.QUERY:
                parameter["allowEmptyValue"] = True
        return parameters


def _limit(maximum: int, default: int) -> OpenApiParameter:
    return OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
        OpenApiParameter.QUERY,
        description=f"How many films: 1 to {maximum} (default {default}).",
    )


_GENRE = OpenApiParameter(
    "genre",
    {"type": "array", "items": {"type": "string"}},
    OpenApiParameter.QUERY,
    description="Genre slug; repeat (`?genre=a&genre=b`) or comma-separate "
    "(`?genre=a,b`) to require all of them, as in the movie list. An unknown slug "
    "matches nothing.",
    explode=True,
    style="form",
)
_BAD_QUERY = OpenApiResponse(
    ErrorSerializer, description="`limit` is not an integer or out of range."
)
_RECOMMENDATIONS_EXAMPLES = [
    OpenApiExample(
        "Personal picks",
        response_only=True,
        value={
            "strategy": "personal",
            "results": [
                {
                    "movie": {**MOVIE_SUMMARY_EXAMPLE, "id": 12, "title": "Collateral"},
                    "score": 1.73,
                    "because": [MOVIE_SUMMARY_EXAMPLE],
                }
            ],
        },
    ),
    OpenApiExample(
        "No ratings yet",
        response_only=True,
        value={
            "strategy": "popular",
            "results": [{"movie": MOVIE_SUMMARY_EXAMPLE, "score": 3.9, "because": []}],
        },
    ),
]


similar_movies_schema = extend_schema(
    tags=["movies"],
    summary="Films similar to this one (anyone)",
    description="The films that the people who rated this one rated too, beyond "
    "what popularity explains, most similar first. Never the film itself; films "
    "too thinly co-rated to judge are left out, so the list may be short or "
    "empty (also before the first training).",
    parameters=[
        id_parameter("Id of the movie."),
        _limit(SIMILAR_LIMIT_MAX, SIMILAR_LIMIT_DEFAULT),
    ],
    responses={200: SimilarMoviesSerializer, 400: _BAD_QUERY},
)

my_recommendations_schema = extend_schema(
    tags=["users"],
    summary="Films for you",
    description="Films you have not rated, best first, each with up to three of "
    "your rated films that most support it. `strategy` is `personal`, or "
    "`popular` while you have no ratings (the best films by weighted rating). "
    "Your newest ratings count at once.",
    parameters=[
        _limit(RECOMMENDATIONS_LIMIT_MAX, RECOMMENDATIONS_LIMIT_DEFAULT),
        _GENRE,
    ],
    responses={200: RecommendationsSerializer, 400: _BAD_QUERY},
    examples=_RECOMMENDATIONS_EXAMPLES,
)

user_recommendations_schema = extend_schema(
    tags=["users"],
    summary="Films for a user (admin, or that user)",
    description="The same as `users/me/recommendations/` for the user with this "
    "id. 403 for anyone but that user and admins; 404 for an unknown user.",
    parameters=[
        id_parameter("Id of the user."),
        _limit(RECOMMENDATIONS_LIMIT_MAX, RECOMMENDATIONS_LIMIT_DEFAULT),
        _GENRE,
    ],
    responses={200: RecommendationsSerializer, 400: _BAD_QUERY},
    examples=_RECOMMENDATIONS_EXAMPLES,
)
