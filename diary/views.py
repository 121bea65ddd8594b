from http import HTTPStatus
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from diary import selectors, services
from diary.filters import DiaryFilterSet
from diary.models import DiaryEntry
from diary.schema import my_diary_entry_schema, my_diary_schema, user_diary_schema
from diary.serializers import (
    DiaryEntryCreateSerializer,
    DiaryEntrySerializer,
    DiaryEntryUpdateSerializer,
)
from movieratings.request import caller
from movieratings.throttling import RATING_WRITE, ScopedThrottleMixin
from movies.reads import WeightedRatingListMixin, rating_context
from movies.selectors import global_mean_of
from users.models import User
from users.selectors import profile_owners


class DiaryViewSetBase(ScopedThrottleMixin, viewsets.GenericViewSet[Any]):
    """What every diary view shares."""

    permission_classes = [IsAuthenticated]
    serializer_class = DiaryEntrySerializer
    # For schema introspection; get_queryset() builds the real one.
    queryset = DiaryEntry.objects.none()

    def entry_response(
        self, entry: DiaryEntry, status: int = HTTPStatus.OK
    ) -> Response:
        """Return ``entry`` as stored, with ``rewatch`` and its film's summary."""
        stored = selectors.diary_of(user=caller(self.request)).get(pk=entry.pk)
        context = rating_context(global_mean_of([stored]))
        data = DiaryEntrySerializer(stored, context=context).data
        return Response(data, status=status)


@my_diary_schema
class MyDiaryViewSet(WeightedRatingListMixin, DiaryViewSetBase):
    filterset_class = DiaryFilterSet
    throttle_scopes = {"create": RATING_WRITE}
    # GET responses served as stored bytes (movieratings/response_cache.py).
    cache_versions: tuple[str, ...] = ("catalogue",)

    def get_profile_user(self) -> User:
        return caller(self.request)

    def get_queryset(self) -> QuerySet[DiaryEntry]:
        return selectors.diary_of(user=self.get_profile_user())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = DiaryEntryCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.diary_entry_create(
            user=caller(request), **serializer.validated_data
        )
        return self.entry_response(entry, HTTPStatus.CREATED)


@user_diary_schema
class UserDiaryViewSet(MyDiaryViewSet):
    cache_versions = ("catalogue", "profile")

    def get_profile_user(self) -> User:
        users = profile_owners(viewer=self.request.user)
        return get_object_or_404(users.only("pk"), pk=self.kwargs["id"])


@my_diary_entry_schema
class MyDiaryEntryViewSet(
    mixins.UpdateModelMixin, mixins.DestroyModelMixin, DiaryViewSetBase
):
    """One entry of the caller's diary: another's entry is not found."""

    lookup_url_kwarg = "id"
    throttle_scopes = {"partial_update": RATING_WRITE, "destroy": RATING_WRITE}

    def get_queryset(self) -> QuerySet[DiaryEntry]:
        return DiaryEntry.objects.filter(user=caller(self.request))

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entry = self.get_object()
        serializer = DiaryEntryUpdateSerializer(entry, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        changes.pop("movie", None)
        services.diary_entry_update(entry=entry, **changes)
        return self.entry_response(entry)

    def perform_destroy(self, instance: DiaryEntry) -> None:
        services.diary_entry_delete(entry=instance)
