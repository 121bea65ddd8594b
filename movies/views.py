from typing import Any

from django.db.models import QuerySet
from django.utils.cache import patch_vary_headers
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from movies import reads, schema, services
from movies.filters import MovieFilterSet
from movies.models import Genre, Movie
from movies.selectors import with_global_mean
from movies.serializers import (
    GenreInputSerializer,
    GenreSerializer,
    MovieDetailSerializer,
    MovieInputSerializer,
    MovieSerializer,
)
from users.permissions import IsAdminRoleOrReadOnly


@schema.genre_viewset
class GenreViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Genre],
):
    permission_classes = [IsAdminRoleOrReadOnly]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = r"[0-9]+"
    # GET responses served as stored bytes (movieratings/response_cache.py).
    cache_versions = ("catalogue",)

    def get_queryset(self) -> QuerySet[Genre]:
        return Genre.objects.order_by("name", "id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = super().list
        return Response(
            reads.genre_page(
                query=request.query_params,
                origin=request.build_absolute_uri("/"),
                compute=lambda: page(request, *args, **kwargs).data,
            )
        )

    def get_serializer_class(self) -> type[BaseSerializer[Genre]]:
        if self.action in {"create", "partial_update"}:
            return GenreInputSerializer
        return GenreSerializer

    def perform_create(self, serializer: BaseSerializer[Genre]) -> None:
        serializer.instance = services.genre_create(**serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Genre]) -> None:
        services.genre_update(genre=serializer.instance, **serializer.validated_data)  # type: ignore[arg-type]

    def perform_destroy(self, instance: Genre) -> None:
        services.genre_delete(genre=instance)


@schema.movie_viewset
class MovieViewSet(
    reads.WeightedRatingListMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Movie],
):
    permission_classes = [IsAdminRoleOrReadOnly]
    filterset_class = MovieFilterSet
    lookup_value_regex = r"[0-9]+"
    # GET responses served as stored bytes (movieratings/response_cache.py).
    cache_versions = ("catalogue",)

    def get_queryset(self) -> QuerySet[Movie]:
        movies = Movie.objects.prefetch_related("genres").order_by("title_key", "id")
        if self.action == "list":
            # C comes with the page's rows: for the weighted_rating ordering
            # and values, without a query of its own.
            movies = with_global_mean(movies)
        return movies

    def filter_queryset(self, queryset: QuerySet[Movie, Any]) -> QuerySet[Movie, Any]:
        # The filters are the list's; elsewhere they are unknown parameters.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_class(self) -> type[BaseSerializer[Movie]]:
        if self.action == "list":
            return MovieSerializer
        if self.action in {"create", "update", "partial_update"}:
            return MovieInputSerializer
        return MovieDetailSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = super().list
        return Response(
            reads.catalogue_page(
                query=request.query_params,
                origin=request.build_absolute_uri("/"),
                compute=lambda: page(request, *args, **kwargs).data,
            )
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = self._detail(int(self.kwargs[self.lookup_field]))
        # The body holds the caller's own rating: caches must tell callers apart.
        patch_vary_headers(response, ["Authorization"])
        return response

    def _detail(self, movie_id: int, code: int = status.HTTP_200_OK) -> Response:
        try:
            detail = reads.movie_detail(movie_id=movie_id, user=self.request.user)
        except Movie.DoesNotExist as exc:
            raise NotFound() from exc
        return Response(detail, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        movie = services.movie_create(actor=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        return self._detail(movie.pk, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        movie = self.get_object()
        serializer = self.get_serializer(movie, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        movie = services.movie_update(movie=movie, **serializer.validated_data)
        return self._detail(movie.pk)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def perform_destroy(self, instance: Movie) -> None:
        services.movie_delete(movie=instance)
