"""Similar films and personal picks: thin views over ``selectors``."""

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from movieratings.openapi import AutoSchema, ErrorSerializer, id_parameter
from movieratings.request import caller
from movies.selectors import min_votes
from movies.serializers import GLOBAL_MEAN, MIN_VOTES
from movies.views import MOVIE_SUMMARY_EXAMPLE
from recommendations import selectors
from recommendations.serializers import (
    RECOMMENDATIONS_LIMIT_DEFAULT,
    RECOMMENDATIONS_LIMIT_MAX,
    SIMILAR_LIMIT_DEFAULT,
    SIMILAR_LIMIT_MAX,
    RecommendationsQuerySerializer,
    RecommendationsSerializer,
    SimilarMoviesSerializer,
    SimilarQuerySerializer,
)
from users.models import User
from users.permissions import is_admin


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


def _summary_context(global_mean: float | None) -> dict[str, Any]:
    # The films' weighted ratings take C read with the films, and m.
    return {GLOBAL_MEAN: global_mean, MIN_VOTES: min_votes()}


def _recommendations_response(request: Request, user: User) -> Response:
    parameters = RecommendationsQuerySerializer.from_query(request.query_params)
    recommendations = selectors.recommendations_for(user=user, **parameters)
    context = _summary_context(recommendations.global_mean)
    return Response(RecommendationsSerializer(recommendations, context=context).data)


@extend_schema(
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
class SimilarMoviesView(APIView):
    permission_classes = [AllowAny]
    schema = QueryParametersSchema()

    def get(self, request: Request, id: int) -> Response:
        parameters = SimilarQuerySerializer.from_query(request.query_params)
        similar = selectors.similar_movies(movie_id=id, **parameters)
        if similar is None:
            raise NotFound("No movie with this id.")
        context = _summary_context(similar.global_mean)
        return Response(SimilarMoviesSerializer(similar, context=context).data)


@extend_schema(
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
class MyRecommendationsView(APIView):
    permission_classes = [IsAuthenticated]
    schema = QueryParametersSchema()

    def get(self, request: Request) -> Response:
        return _recommendations_response(request, caller(request))


@extend_schema(
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
class UserRecommendationsView(APIView):
    permission_classes = [IsAuthenticated]
    schema = QueryParametersSchema()

    def get(self, request: Request, id: int) -> Response:
        me = caller(request)
        if id == me.pk:
            return _recommendations_response(request, me)
        if not is_admin(request):
            raise PermissionDenied("Only that user and admins may read these.")
        user = get_object_or_404(User.objects.only("pk"), pk=id)
        return _recommendations_response(request, user)
