from typing import Any

from django.shortcuts import get_object_or_404
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from movieratings.request import caller
from taste.schema import my_taste_profile_schema, user_taste_profile_schema
from taste.selectors import taste_profile
from taste.serializers import TasteProfileSerializer
from users.models import User
from users.selectors import profile_owners


@my_taste_profile_schema
class MyTasteProfileViewSet(viewsets.GenericViewSet[Any]):
    permission_classes = [IsAuthenticated]
    serializer_class = TasteProfileSerializer
    # GET responses served as stored bytes (movieratings/response_cache.py).
    cache_versions: tuple[str, ...] = ("catalogue",)

    def get_profile_user(self) -> User:
        return caller(self.request)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        profile = taste_profile(user=self.get_profile_user())
        return Response(TasteProfileSerializer(profile).data)


@user_taste_profile_schema
class UserTasteProfileViewSet(MyTasteProfileViewSet):
    cache_versions = ("catalogue", "profile")

    def get_profile_user(self) -> User:
        users = profile_owners(viewer=self.request.user)
        return get_object_or_404(users.only("pk"), pk=self.kwargs["id"])
