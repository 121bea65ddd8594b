"""Similar films and personal picks: thin views over ``selectors``."""

from typing import Any

from django.shortcuts import get_object_or_404
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from movieratings.request import caller
from movies.selectors import min_votes
from movies.serializers import GLOBAL_MEAN, MIN_VOTES
from recommendations import selectors
from recommendations.schema import (
    QueryParametersSchema,
    my_recommendations_schema,
    similar_movies_schema,
    user_recommendations_schema,
)
from recommendations.serializers import (
    RecommendationsQuerySerializer,
    RecommendationsSerializer,
    SimilarMoviesSerializer,
    SimilarQuerySerializer,
)
from users.models import User
from users.permissions import is_admin


def _summary_context(global_mean: float | None) -> dict[str, Any]:
    # The films' weighted ratings take C read with the films, and m.
    return {GLOBAL_MEAN: global_mean, MIN_VOTES: min_votes()}


def _recommendations_response(request: Request, user: User) -> Response:
    parameters = RecommendationsQuerySerializer.from_query(request.query_params)
    recommendations = selectors.recommendations_for(user=user, **parameters)
    context = _summary_context(recommendations.global_mean)
    return Response(RecommendationsSerializer(recommendations, context=context).data)


@similar_movies_schema
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


@my_recommendations_schema
class MyRecommendationsView(APIView):
    permission_classes = [IsAuthenticated]
    schema = QueryParametersSchema()

    def get(self, request: Request) -> Response:
        return _recommendations_response(request, caller(request))


@user_recommendations_schema
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
