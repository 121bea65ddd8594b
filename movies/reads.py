"""The catalogue as clients read it: a movie's detail, catalogue pages, genres.

What these reads hold beyond the rows is decided here alone: what is cached
(``movies.cache``), C and m of every weighted rating, and the caller's own view
of a movie (``my_rating``, ``in_watchlist``). Views pass on what the request
asks for and answer with what they get; serializers take C, m and the caller
from the context built here.

C, the mean of every rating, comes one way per situation:

- **A page of rows** (the catalogue, and every list that shows movie
  summaries: a profile's ratings, watchlists, diaries): the page's query
  carries C (``selectors.with_global_mean``), which the ordering by weighted
  rating needs in SQL anyway; the rows bring it from the same snapshot, without
  a query of its own, and ``WeightedRatingListMixin`` reads it off the page.
  A single row read the same way (a diary entry) brings it likewise.
- **No rows to carry it** (a watchlist entry just added, recommendations of
  films read by id, an import's candidates): ``global_mean()``, cached per
  catalogue version and computed from the movies' stored totals on a miss.
- **A movie's detail**: C comes in the detail's own cache round trip. When it
  is missing there, it is joined to the movie's row if the movie's entry is
  missing too (the query the miss runs anyway), else computed from the totals.

m is a setting (``selectors.min_votes``).
"""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import prefetch_related_objects
from django.http import QueryDict
from rest_framework import generics, mixins
from rest_framework.request import Request
from rest_framework.response import Response

from movies import cache
from movies.cache import list_key
from movies.models import Movie, weighted_rating
from movies.selectors import (
    ANONYMOUS,
    GLOBAL_MEAN_ANNOTATION,
    annotated_caller_state,
    caller_state_of,
    global_mean_from_totals,
    global_mean_of,
    min_votes,
    with_caller_state,
    with_global_mean,
)
from movies.serializers import (
    CALLER,
    GLOBAL_MEAN,
    MIN_VOTES,
    MovieDetailSerializer,
    caller_fields,
)


def global_mean() -> float | None:
    """Return C, the mean of every rating, cached until the next catalogue write."""
    return cache.catalogue.global_mean(global_mean_from_totals)


def rating_context(mean: float | None) -> dict[str, Any]:
    """Return what serializers of movies need for weighted ratings: C and m."""
    return {GLOBAL_MEAN: mean, MIN_VOTES: min_votes()}


def movie_detail(
    *, movie_id: int, user: AbstractBaseUser | AnonymousUser
) -> dict[str, Any]:
    """Return a movie's detail as ``user`` sees it; raise ``Movie.DoesNotExist``.

    The cached entry (fields, genres, aggregates) is served while the movie's
    version holds: every write to the movie, its genres or its ratings bumps
    it once committed. On a miss the movie's row is read (with C, and the
    caller's rating, when those are needed too) and the entry rebuilt.
    ``weighted_rating`` moves with every rating in the system, ``my_rating``
    and ``in_watchlist`` with the caller: they are filled in here, and the
    entry holds no one's (it is serialised as an anonymous caller sees it).
    """
    read = cache.catalogue.movie_detail(movie_id)
    caller_id = user.pk if user.is_authenticated else None
    entry = read.detail
    if entry is None:
        movies = Movie.objects.all()
        if not read.has_global_mean:
            movies = with_global_mean(movies)
        if caller_id is not None:
            movies = with_caller_state(movies, user_id=caller_id)
        movie = movies.get(pk=movie_id)
        mean = read.global_mean(lambda: getattr(movie, GLOBAL_MEAN_ANNOTATION))
        entry = read.fill_detail(lambda: _detail_entry(movie, mean))
        caller = ANONYMOUS if caller_id is None else annotated_caller_state(movie)
    else:
        mean = read.global_mean(global_mean_from_totals)
        caller = (
            ANONYMOUS
            if caller_id is None
            else caller_state_of(movie_id=movie_id, user_id=caller_id)
        )
    estimate = weighted_rating(
        **entry["aggregates"], global_mean=mean, min_votes=min_votes()
    )
    return {**entry["data"], "weighted_rating": estimate, **caller_fields(caller)}


def _detail_entry(movie: Movie, mean: float | None) -> dict[str, Any]:
    prefetch_related_objects([movie], "genres")
    context = {**rating_context(mean), CALLER: ANONYMOUS}
    return {
        "data": MovieDetailSerializer(movie, context=context).data,
        "aggregates": {
            "rating_count": movie.rating_count,
            "rating_sum": movie.rating_sum,
        },
    }


def catalogue_page(*, query: QueryDict, origin: str, compute: Callable[[], Any]) -> Any:
    """Return a page of the movie list, ``compute()`` on a miss.

    Lists hold no per-caller data, so one entry serves everyone asking the
    same query of the same origin (``cache.list_key``). ``compute`` is the
    view's own list: the filters and the pagination are the request's.
    """
    key = list_key("movies", origin=origin, query=query)
    return cache.catalogue.catalogue_entry(key, compute)


def genre_page(*, query: QueryDict, origin: str, compute: Callable[[], Any]) -> Any:
    """Return a page of the genre list, ``compute()`` on a miss (as above)."""
    key = list_key("genres", origin=origin, query=query)
    return cache.catalogue.catalogue_entry(key, compute)


# A list whose rows show weighted ratings (movies, or rows with a movie
# summary), read with ``with_global_mean``: its serializer gets C off the page
# and m. Comments, not docstrings: drf-spectacular would describe every list
# operation of the views that mix it in with them.
class WeightedRatingListMixin(mixins.ListModelMixin, generics.GenericAPIView[Any]):
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(rows)
        shown = list(rows) if page is None else page
        context = {
            **self.get_serializer_context(),
            **rating_context(global_mean_of(shown)),
        }
        data = self.get_serializer(shown, many=True, context=context).data
        if page is None:
            return Response(data)
        return self.get_paginated_response(data)
