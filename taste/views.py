from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
)
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from movieratings.request import caller
from taste.selectors import taste_profile
from taste.serializers import TasteProfileSerializer
from users.models import User
from users.selectors import profile_owners

_PROFILE_EXAMPLE = {
    "ratings_count": 3,
    "average_score": 3.83,
    "score_distribution": {
        "0.5": 0,
        "1.0": 0,
        "1.5": 0,
        "2.0": 0,
        "2.5": 0,
        "3.0": 1,
        "3.5": 0,
        "4.0": 1,
        "4.5": 1,
        "5.0": 0,
    },
    "by_decade": [
        {"decade": 1980, "count": 1, "average_score": 3.0},
        {"decade": 1990, "count": 2, "average_score": 4.25},
    ],
    "by_genre": [
        {
            "genre": {"id": 5, "name": "Crime", "slug": "crime"},
            "count": 2,
            "average_score": 4.25,
        },
    ],
    "versus_community": -0.12,
    "watchlist_count": 14,
}


@extend_schema(
    tags=["users"],
    responses={200: TasteProfileSerializer},
    examples=[OpenApiExample("A taste profile", value=_PROFILE_EXAMPLE)],
)
class MyTasteProfileViewSet(viewsets.GenericViewSet[Any]):
    permission_classes = [IsAuthenticated]
    serializer_class = TasteProfileSerializer

    def get_profile_user(self) -> User:
        return caller(self.request)

    @extend_schema(
        summary="Your taste profile",
        description="What your ratings say: counts, averages, distribution, "
        "decades, genres, how you compare with everyone. Averages are null "
        "when nothing is rated.",
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        profile = taste_profile(user=self.get_profile_user())
        return Response(TasteProfileSerializer(profile).data)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Id of the user."
        )
    ]
)
class UserTasteProfileViewSet(MyTasteProfileViewSet):
    def get_profile_user(self) -> User:
        users = profile_owners(viewer=self.request.user)
        return get_object_or_404(users.only("pk"), pk=self.kwargs["id"])

    @extend_schema(
        summary="A user's taste profile",
        description="The same as yours, for another user. 404 for an unknown "
        "user, and for a deactivated one unless you are an admin.",
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)
