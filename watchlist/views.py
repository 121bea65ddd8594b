from http import HTTPStatus
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from movieratings.request import caller
from movies import reads
from movies.models import Movie
from users.models import User
from users.selectors import profile_owners
from watchlist import selectors, services
from watchlist.filters import WatchlistFilterSet
from watchlist.models import WatchlistEntry
from watchlist.schema import (
    movie_watchlist_schema,
    my_watchlist_schema,
    user_watchlist_schema,
)
from watchlist.serializers import WatchlistEntrySerializer


class WatchlistViewSetBase(viewsets.GenericViewSet[Any]):
    """What every watchlist view shares."""

    permission_classes = [IsAuthenticated]
    serializer_class = WatchlistEntrySerializer
    # For schema introspection; get_queryset() builds the real one.
    queryset = WatchlistEntry.objects.none()


@movie_watchlist_schema
class MovieWatchlistViewSet(WatchlistViewSetBase):
    """The caller's watchlist entry of one movie, addressed by the movie."""

    def get_object(self) -> WatchlistEntry:
        """Return the caller's entry of the movie (OPTIONS reads it), or 404."""
        entries = WatchlistEntry.objects.filter(user=caller(self.request))
        entry = entries.filter(movie_id=self.kwargs["id"]).first()
        if entry is None:
            raise NotFound("This movie is not on your watchlist.")
        return entry

    def get_movie(self) -> Movie:
        movies = Movie.objects.prefetch_related("genres")
        return get_object_or_404(movies, pk=self.kwargs["id"])

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # No fields: a body, if sent, must still be a JSON object (else 400/415).
        serializers.Serializer(data=request.data).is_valid(raise_exception=True)
        entry, created = services.watchlist_add(
            user=caller(request), movie=self.get_movie()
        )
        context = reads.rating_context(reads.global_mean())
        return Response(
            WatchlistEntrySerializer(entry, context=context).data,
            status=HTTPStatus.CREATED if created else HTTPStatus.OK,
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            services.watchlist_remove(user=caller(request), movie=self.get_movie())
        except WatchlistEntry.DoesNotExist as exc:
            raise NotFound("This movie is not on your watchlist.") from exc
        return Response(status=HTTPStatus.NO_CONTENT)


@my_watchlist_schema
class MyWatchlistViewSet(reads.WeightedRatingListMixin, WatchlistViewSetBase):
    filterset_class = WatchlistFilterSet
    # GET responses served as stored bytes (movieratings/response_cache.py).
    cache_versions: tuple[str, ...] = ("catalogue",)

    def get_profile_user(self) -> User:
        return caller(self.request)

    def get_queryset(self) -> QuerySet[WatchlistEntry]:
        return selectors.watchlist_of(user=self.get_profile_user())


@user_watchlist_schema
class UserWatchlistViewSet(MyWatchlistViewSet):
    cache_versions = ("catalogue", "profile")

    def get_profile_user(self) -> User:
        users = profile_owners(viewer=self.request.user)
        return get_object_or_404(users.only("pk"), pk=self.kwargs["id"])
