from http import HTTPStatus
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from diary import selectors, services
from diary.filters import DiaryFilterSet
from diary.models import DiaryEntry
from diary.serializers import (
    DiaryEntryCreateSerializer,
    DiaryEntrySerializer,
    DiaryEntryUpdateSerializer,
)
from movieratings.openapi import id_parameter
from movieratings.request import caller
from movieratings.throttling import RATING_WRITE, ScopedThrottleMixin
from movies.views import MOVIE_SUMMARY_EXAMPLE, GlobalMeanFromRowsMixin
from users.models import User
from users.selectors import profile_owners

_ENTRY_EXAMPLE = {
    "id": 88,
    "movie": MOVIE_SUMMARY_EXAMPLE,
    "watched_on": "2026-01-31",
    "rewatch": True,
    "score": 4.5,
    "review": "Better the second time.",
    "created_at": "2026-02-01T09:12:45Z",
}


class DiaryViewSetBase(
    ScopedThrottleMixin, GlobalMeanFromRowsMixin, viewsets.GenericViewSet[Any]
):
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
        return Response(self.get_serializer(stored).data, status=status)


@extend_schema(tags=["users"])
@extend_schema_view(
    list=extend_schema(
        summary="Your diary: when you watched what",
        description="Latest viewing first; `rewatch` marks every entry of a film "
        "after its first.",
    ),
    create=extend_schema(
        summary="Log a viewing",
        description="A `score` (with `review`) given here also becomes your "
        "rating of the film, exactly as `PUT movies/{id}/rating/` would, and "
        "takes it off your watchlist. The same film on the same day twice is "
        "a 400.",
        request=DiaryEntryCreateSerializer,
        responses={201: DiaryEntrySerializer},
        examples=[
            OpenApiExample(
                "Log a rewatch with a score",
                request_only=True,
                value={
                    "movie": 7,
                    "watched_on": "2026-01-31",
                    "score": 4.5,
                    "review": "Better the second time.",
                },
            ),
            OpenApiExample(
                "Viewing logged",
                response_only=True,
                status_codes=["201"],
                value=_ENTRY_EXAMPLE,
            ),
        ],
    ),
)
class MyDiaryViewSet(mixins.ListModelMixin, DiaryViewSetBase):
    filterset_class = DiaryFilterSet
    throttle_scopes = {"create": RATING_WRITE}

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


@extend_schema(tags=["users"], parameters=[id_parameter("Id of the user.")])
@extend_schema_view(
    list=extend_schema(
        summary="A user's diary",
        description="Their viewings, latest first. 404 for an unknown user, and "
        "for a deactivated one unless you are an admin.",
    )
)
class UserDiaryViewSet(MyDiaryViewSet):
    def get_profile_user(self) -> User:
        users = profile_owners(viewer=self.request.user)
        return get_object_or_404(users.only("pk"), pk=self.kwargs["id"])


@extend_schema(tags=["users"], parameters=[id_parameter("Id of the diary entry.")])
@extend_schema_view(
    partial_update=extend_schema(
        summary="Change a viewing in your diary",
        description="Change `watched_on`, `score` or `review`; your rating of the "
        "film stays as it is. 404 for an entry that is not yours.",
        request=DiaryEntryUpdateSerializer,
        responses={200: DiaryEntrySerializer},
    ),
    destroy=extend_schema(
        summary="Remove a viewing from your diary",
        description="Your rating of the film stays as it is. 404 for an entry "
        "that is not yours.",
        responses={204: OpenApiResponse(description="Removed.")},
    ),
)
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
