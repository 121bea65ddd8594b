"""Similar films and personal picks: thin views over ``reads``."""

from django.shortcuts import get_object_or_404
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from movieratings.request import caller
from recommendations import reads
from recommendations.schema import (
    QueryParametersSchema,
    my_recommendations_schema,
    similar_movies_schema,
    user_recommendations_schema,
)
from recommendations.serializers import (
    RecommendationsQuerySerializer,
    SimilarQuerySerializer,
)
from users.models import User
from users.permissions import is_admin


def _recommendations_response(request: Request, user_id: int) -> Response:
    parameters = RecommendationsQuerySerializer.from_query(request.query_params)
    return Response(reads.recommendations_body(user_id=user_id, **parameters))


@similar_movies_schema
class SimilarMoviesView(APIView):
    permission_classes = [AllowAny]
    schema = QueryParametersSchema()
    # GET responses served as stored bytes (movieratings/response_cache.py).
    cache_versions = ("catalogue", "recommender")

    def get(self, request: Request, id: int) -> Response:
        parameters = SimilarQuerySerializer.from_query(request.query_params)
        body = reads.similar_body(movie_id=id, **parameters)
        if body is None:
            raise NotFound("No movie with this id.")
        return Response(body)


@my_recommendations_schema
class MyRecommendationsView(APIView):
    permission_classes = [IsAuthenticated]
    schema = QueryParametersSchema()
    # GET responses served as stored bytes (movieratings/response_cache.py).
    cache_versions = ("catalogue", "recommender")

    def get(self, request: Request) -> Response:
        return _recommendations_response(request, caller(request).pk)


@user_recommendations_schema
class UserRecommendationsView(APIView):
    permission_classes = [IsAuthenticated]
    schema = QueryParametersSchema()
    # GET responses served as stored bytes (movieratings/response_cache.py).
    cache_versions = ("catalogue", "recommender", "profile")

    def get(self, request: Request, id: int) -> Response:
        if id != caller(request).pk:
            if not is_admin(request):
                raise PermissionDenied("Only that user and admins may read these.")
            get_object_or_404(User.objects.only("pk"), pk=id)
        return _recommendations_response(request, id)
