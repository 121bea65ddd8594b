from collections.abc import Sequence
from typing import Any, TypeVar

from django.db.models import QuerySet, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_vary_headers
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from movies import cache, schema, services
from movies.cache import list_key
from movies.filters import MovieFilterSet
from movies.models import Genre, Movie, weighted_rating
from movies.selectors import (
    GLOBAL_MEAN_ANNOTATION,
    annotated_caller_state,
    caller_state_of,
    global_mean_from_totals,
    global_mean_score,
    min_votes,
    with_caller_state,
    with_global_mean,
)
from movies.serializers import (
    GLOBAL_MEAN,
    MIN_VOTES,
    GenreInputSerializer,
    GenreSerializer,
    MovieDetailSerializer,
    MovieInputSerializer,
    MovieMyRatingSerializer,
    MovieSerializer,
)
from users.permissions import IsAdminRoleOrReadOnly

_Row = TypeVar("_Row")


# Give the serializers C and m (``GLOBAL_MEAN``, ``MIN_VOTES``) once per request.
#
# A list's queryset carries C with each row (``with_global_mean``), so a page
# reads it with its rows, without a query of its own; other actions look it up
# once (cached). A comment, not a docstring: drf-spectacular would describe
# every operation of the views that mix it in with a docstring.
class GlobalMeanFromRowsMixin:
    _global_mean: tuple[float | None] | None = None

    def paginate_queryset(
        self, queryset: QuerySet[Any, _Row] | Sequence[_Row]
    ) -> list[_Row] | None:
        page: list[_Row] | None = super().paginate_queryset(queryset)  # type: ignore[misc]
        if page is not None:
            # No rows, no weighted rating to compute: C is moot.
            self._global_mean = (
                getattr(page[0], GLOBAL_MEAN_ANNOTATION) if page else None,
            )
        return page

    def global_mean(self) -> float | None:
        """Return C, the mean of all ratings, looked up once per request."""
        if self._global_mean is None:
            self._global_mean = (global_mean_score(),)
        return self._global_mean[0]

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())  # type: ignore[misc]
        if getattr(self, "swagger_fake_view", False):
            return context  # Schema generation: no request, no database.
        return {**context, GLOBAL_MEAN: self.global_mean(), MIN_VOTES: min_votes()}


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

    def get_queryset(self) -> QuerySet[Genre]:
        return Genre.objects.order_by("name", "id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = super().list
        key = list_key(
            "genres", origin=request.build_absolute_uri("/"), query=request.query_params
        )
        return Response(
            cache.catalogue.catalogue_entry(
                key, lambda: page(request, *args, **kwargs).data
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
    GlobalMeanFromRowsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Movie],
):
    permission_classes = [IsAdminRoleOrReadOnly]
    filterset_class = MovieFilterSet
    lookup_value_regex = r"[0-9]+"

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

    def _detail(self, movie: Movie) -> Any:
        return MovieDetailSerializer(movie, context=self.get_serializer_context()).data

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = super().list
        key = list_key(
            "movies", origin=request.build_absolute_uri("/"), query=request.query_params
        )
        return Response(
            cache.catalogue.catalogue_entry(
                key, lambda: page(request, *args, **kwargs).data
            )
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Serve the movie from the cache; read the database only for what it lacks.

        The cached entry (fields, genres, aggregates) is served while the
        movie's version holds: every write to the movie, its genres or its
        ratings bumps it once committed. On a miss the movie's row is read
        (with C, and the caller's rating, when those are needed too) and the
        entry rebuilt. ``weighted_rating`` moves with every rating in the
        system, ``my_rating`` and ``in_watchlist`` with the caller: they are
        filled in here, and the entry holds no one's (it is serialised as an
        anonymous caller sees it).
        """
        user, movie_id = request.user, int(self.kwargs[self.lookup_field])
        cached = cache.catalogue.movie_detail(movie_id)
        entry = cached.detail
        if entry is None:
            movies = Movie.objects.all()
            if not cached.has_global_mean:
                movies = with_global_mean(movies)
            if user.is_authenticated:
                movies = with_caller_state(movies, user_id=user.pk)
            movie = get_object_or_404(movies, pk=movie_id)
            global_mean = cached.global_mean(
                lambda: getattr(movie, GLOBAL_MEAN_ANNOTATION)
            )
            entry = cached.fill_detail(
                lambda: self._cacheable_detail(movie, global_mean)
            )
            if user.is_authenticated:
                rating, in_watchlist = annotated_caller_state(movie)
        else:
            global_mean = cached.global_mean(global_mean_from_totals)
            if user.is_authenticated:
                rating, in_watchlist = caller_state_of(
                    movie_id=movie_id, user_id=user.pk
                )
        data = dict(entry["data"])
        data["weighted_rating"] = weighted_rating(
            **entry["aggregates"], global_mean=global_mean, min_votes=min_votes()
        )
        if user.is_authenticated:
            data["my_rating"] = (
                None if rating is None else MovieMyRatingSerializer(rating).data
            )
            data["in_watchlist"] = in_watchlist
        response = Response(data)
        patch_vary_headers(response, ["Authorization"])
        return response

    def _cacheable_detail(
        self, movie: Movie, global_mean: float | None
    ) -> dict[str, Any]:
        # Serialised as an anonymous caller sees it: no one's rating inside.
        prefetch_related_objects([movie], "genres")
        context = {GLOBAL_MEAN: global_mean, MIN_VOTES: min_votes()}
        return {
            "data": MovieDetailSerializer(movie, context=context).data,
            "aggregates": {
                "rating_count": movie.rating_count,
                "rating_sum": movie.rating_sum,
            },
        }

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        movie = services.movie_create(actor=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        return Response(self._detail(movie), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        movie = self.get_object()
        serializer = self.get_serializer(movie, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        movie = services.movie_update(movie=movie, **serializer.validated_data)
        return Response(self._detail(movie))

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def perform_destroy(self, instance: Movie) -> None:
        services.movie_delete(movie=instance)
