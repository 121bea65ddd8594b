from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import mixins, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from movieratings.request import caller
from movieratings.throttling import RATING_WRITE, ScopedThrottleMixin
from movies.models import Movie
from movies.reads import WeightedRatingListMixin
from ratings import selectors, services
from ratings.filters import (
    MovieRatingFilterSet,
    ProfileRatingFilterSet,
    RatingFilterSet,
)
from ratings.models import Rating
from ratings.permissions import IsOwnerOrAdminToDelete
from ratings.schema import (
    movie_ratings_schema,
    my_movie_rating_schema,
    my_ratings_schema,
    ratings_schema,
    user_ratings_schema,
)
from ratings.serializers import (
    MovieRatingSerializer,
    MovieRatingUpsertSerializer,
    ProfileRatingSerializer,
    RatingSerializer,
    RatingUpdateSerializer,
)
from users.models import User
from users.permissions import is_admin
from users.selectors import profile_owners

_Row = TypeVar("_Row")


class RatingViewSetBase(ScopedThrottleMixin, viewsets.GenericViewSet[Rating]):
    """What every rating view shares."""

    # For schema introspection; get_queryset() builds the real one.
    queryset = Rating.objects.none()

    def filter_queryset(
        self, queryset: QuerySet[Rating, _Row]
    ) -> QuerySet[Rating, _Row]:
        # Query parameters filter lists only: on a detail they are ignored.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def handle_exception(self, exc: Exception) -> Response:
        # A service found its rating deleted by a concurrent request.
        if isinstance(exc, Rating.DoesNotExist):
            exc = NotFound("This rating no longer exists.")
        return super().handle_exception(exc)

    def rating_response(self, rating: Rating, status: int = HTTPStatus.OK) -> Response:
        """Return ``rating`` just written by its author, the caller.

        The service has set the author's ``ratings_count`` under their lock.
        """
        return Response(RatingSerializer(rating).data, status=status)


@ratings_schema
class RatingViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    RatingViewSetBase,
):
    filterset_class = RatingFilterSet
    lookup_value_regex = r"[0-9]+"
    throttle_scopes = dict.fromkeys(
        ["create", "update", "partial_update", "destroy"], RATING_WRITE
    )

    def get_permissions(self) -> Sequence[Any]:
        if self.action == "retrieve":
            return [AllowAny()]
        return [IsAuthenticated(), IsOwnerOrAdminToDelete()]

    def get_queryset(self) -> QuerySet[Rating]:
        ratings = selectors.ratings_with_authors().order_by("-updated_at", "-id")
        if self.action == "list" and not is_admin(self.request):
            ratings = ratings.filter(user=caller(self.request))
        return ratings

    def get_serializer_class(self) -> type[BaseSerializer[Rating]]:
        if self.action in {"update", "partial_update"}:
            return RatingUpdateSerializer
        return RatingSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return self.rating_response(serializer.instance, HTTPStatus.CREATED)  # type: ignore[arg-type]

    def perform_create(self, serializer: BaseSerializer[Rating]) -> None:
        serializer.instance = services.rating_create(
            user=caller(self.request), **serializer.validated_data
        )

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rating = self.get_object()
        serializer = self.get_serializer(
            rating, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        # The service refreshed score, review and updated_at of ``rating``.
        return Response(RatingSerializer(rating).data)

    def perform_update(self, serializer: BaseSerializer[Rating]) -> None:
        services.rating_update(
            rating=serializer.instance,  # type: ignore[arg-type]
            score=serializer.validated_data.get("score"),
            review=serializer.validated_data.get("review"),
        )

    def perform_destroy(self, instance: Rating) -> None:
        services.rating_delete(rating=instance)


@movie_ratings_schema
class MovieRatingsViewSet(mixins.ListModelMixin, RatingViewSetBase):
    permission_classes = [AllowAny]
    serializer_class = MovieRatingSerializer
    filterset_class = MovieRatingFilterSet
    # GET responses served as stored bytes (movieratings/response_cache.py).
    cache_versions = ("catalogue", "users")

    _movie: Movie | None = None

    def get_queryset(self) -> QuerySet[Rating]:
        self._movie = get_object_or_404(
            Movie.objects.only("pk", "rating_count"), pk=self.kwargs["id"]
        )
        return (
            selectors.ratings_with_authors()
            .filter(movie=self._movie)
            .order_by("-updated_at", "-id")
        )

    def pagination_count(self) -> int | None:
        """All of the movie's ratings are listed: their count is stored on it."""
        return None if self._movie is None else self._movie.rating_count


@my_movie_rating_schema
class MyMovieRatingViewSet(RatingViewSetBase):
    """The caller's own rating of one movie, addressed by the movie."""

    permission_classes = [IsAuthenticated]
    serializer_class = RatingSerializer
    throttle_scopes = {"update": RATING_WRITE, "destroy": RATING_WRITE}

    def get_movie(self) -> Movie:
        return get_object_or_404(Movie, pk=self.kwargs["id"])

    def get_object(self) -> Rating:
        ratings = selectors.ratings_with_authors().filter(user=caller(self.request))
        rating = ratings.filter(movie_id=self.kwargs["id"]).first()
        if rating is None:
            self.get_movie()  # 404 for an unknown movie first.
            raise NotFound("You have not rated this movie.")
        return rating

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = MovieRatingUpsertSerializer(data=request.data)
        if not serializer.is_valid():
            self.get_movie()  # An unknown movie is a 404 before any 400.
            raise ValidationError(serializer.errors)
        # The service checks that the movie exists (Movie.DoesNotExist is a 404).
        rating, created = services.rating_upsert(
            user=caller(request),
            movie_id=self.kwargs["id"],
            **serializer.validated_data,
        )
        return self.rating_response(
            rating, HTTPStatus.CREATED if created else HTTPStatus.OK
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.rating_delete(rating=self.get_object())
        return Response(status=HTTPStatus.NO_CONTENT)


@my_ratings_schema
class MyRatingsViewSet(WeightedRatingListMixin, RatingViewSetBase):
    permission_classes = [IsAuthenticated]
    serializer_class = ProfileRatingSerializer
    filterset_class = ProfileRatingFilterSet
    # GET responses served as stored bytes (movieratings/response_cache.py).
    cache_versions: tuple[str, ...] = ("catalogue",)

    def get_profile_user(self) -> User:
        return caller(self.request)

    def get_queryset(self) -> QuerySet[Rating]:
        return selectors.profile_ratings(user=self.get_profile_user())


@user_ratings_schema
class UserRatingsViewSet(MyRatingsViewSet):
    cache_versions = ("catalogue", "profile")

    def get_profile_user(self) -> User:
        users = profile_owners(viewer=self.request.user)
        return get_object_or_404(users.only("pk"), pk=self.kwargs["id"])
