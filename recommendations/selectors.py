"""Reads the recommendation endpoints answer with, at a fixed number of queries.

Personal picks score the caller's ratings, read at request time, against the
served item model: a rating or an unrating counts at the next request.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from django.db.models import OrderBy, QuerySet

from movies.filters import AllGenresFilter, weighted_rating_expression
from movies.models import Movie
from movies.reads import global_mean
from movies.selectors import global_mean_of, min_votes, with_global_mean
from ratings.models import Rating
from recommendations.artefact import ItemModel
from recommendations.learning import supporters, top_items

# Rated films named as the reasons for one pick (API contract).
BECAUSE_MAX = 3

Strategy = Literal["personal", "popular"]


@dataclass(frozen=True)
class Pick:
    movie: Movie
    score: float
    because: list[Movie] = field(default_factory=list)


@dataclass(frozen=True)
class Recommendations:
    strategy: Strategy
    results: list[Pick]
    # C of the weighted ratings in the films' summaries: read with the films
    # where their query needs it, else cached (see movies.reads).
    global_mean: float | None = None


@dataclass(frozen=True)
class SimilarMovies:
    results: list[Pick]
    global_mean: float | None = None


# What a movie summary shows, and what its average and weighted rating need.
SUMMARY_FIELDS = ("id", "title", "year", "rating_count", "rating_sum")


def _summaries(movie_ids: Sequence[int]) -> dict[int, Movie]:
    """Return the movies of ``movie_ids`` that exist, with their genres (2 queries)."""
    if not movie_ids:
        return {}
    movies = Movie.objects.filter(pk__in=list(movie_ids)).only(*SUMMARY_FIELDS)
    return {movie.pk: movie for movie in movies.prefetch_related("genres")}


def _global_mean(movies: Sequence[Movie]) -> float | None:
    """Return C for the summaries of ``movies`` (cached; no query while it holds)."""
    return global_mean() if movies else None


def _with_genres(movies: QuerySet[Movie], genres: list[str]) -> QuerySet[Movie]:
    if not genres:
        return movies
    return AllGenresFilter(field_name="genres__slug").filter(movies, genres)


def similar_movies(
    *, model: ItemModel | None, movie_id: int, limit: int
) -> SimilarMovies | None:
    """Return the films most similar to ``movie_id``, None if it does not exist.

    Without a model, or for a film too thinly rated to have been learned, the
    list is empty.
    """
    neighbours = np.empty(0, dtype=np.int64)
    scores = np.empty(0, dtype=np.float32)
    if model is not None:
        known, indexes = model.indexes(np.array([movie_id]))
        if known[0]:
            row = model.similar[int(indexes[0])]
            order = top_items(row.data, limit)
            neighbours, scores = model.item_ids[row.indices[order]], row.data[order]
    movies = _summaries([movie_id, *neighbours.tolist()])
    if movie_id not in movies:
        return None
    results = [
        Pick(movie=movies[int(other)], score=float(score))
        for other, score in zip(neighbours, scores, strict=True)
        if int(other) in movies
    ]
    return SimilarMovies(results=results, global_mean=_global_mean([*movies.values()]))


def recommendations_for(
    *, model: ItemModel | None, user_id: int, limit: int, genres: list[str]
) -> Recommendations:
    """Return the films to recommend to a user: personal when their ratings
    reach ``model``, else the best by weighted rating."""
    rated = np.fromiter(
        Rating.objects.filter(user_id=user_id)
        .order_by()
        .values_list("movie_id", flat=True),
        dtype=np.int64,
    )
    if model is not None and len(rated):
        _, indexes = model.indexes(rated)
        if len(indexes):
            return _personal(model=model, rated=indexes, limit=limit, genres=genres)
    results = _popular(
        user_id=user_id, rated=len(rated) > 0, limit=limit, genres=genres
    )
    return Recommendations(
        strategy="popular",
        results=results,
        global_mean=global_mean_of([pick.movie for pick in results]),
    )


def _personal(
    *, model: ItemModel, rated: np.ndarray, limit: int, genres: list[str]
) -> Recommendations:
    weights = model.weights[rated]
    scores = np.asarray(weights.sum(axis=0), dtype=np.float64).ravel()
    scores[rated] = -np.inf  # Never a film the user rated.
    candidates = np.flatnonzero(scores > 0)
    if genres:
        allowed = _with_genres(Movie.objects.order_by(), genres).values_list(
            "pk", flat=True
        )
        in_genres = np.isin(
            model.item_ids[candidates], np.fromiter(allowed, dtype=np.int64)
        )
        candidates = candidates[in_genres]
    picks = candidates[top_items(scores[candidates], limit)]
    contributions = weights[:, picks].toarray()
    reasons = [
        [int(model.item_ids[rated[row]]) for row in rows]
        for rows in supporters(contributions, limit=BECAUSE_MAX)
    ]
    pick_ids = [int(movie_id) for movie_id in model.item_ids[picks]]
    movies = _summaries(sorted({*pick_ids, *(m for ids in reasons for m in ids)}))
    results = [
        Pick(
            movie=movies[movie_id],
            score=float(scores[pick]),
            because=[movies[m] for m in because if m in movies],
        )
        for movie_id, pick, because in zip(pick_ids, picks, reasons, strict=True)
        if movie_id in movies
    ]
    return Recommendations(
        strategy="personal",
        results=results,
        global_mean=_global_mean([*movies.values()]),
    )


def _popular(*, user_id: int, rated: bool, limit: int, genres: list[str]) -> list[Pick]:
    """Return the best films by weighted rating that the user has not rated."""
    estimate = weighted_rating_expression(votes=min_votes())
    movies = with_global_mean(
        Movie.objects.filter(rating_count__gt=0).only(*SUMMARY_FIELDS)
    )
    if rated:
        movies = movies.exclude(
            pk__in=Rating.objects.filter(user_id=user_id).values("movie_id")
        )
    movies = (
        _with_genres(movies, genres)
        .annotate(recommendation_score=estimate)
        .order_by(OrderBy(estimate, descending=True), "-rating_count", "id")
        .prefetch_related("genres")
    )
    return [
        Pick(movie=movie, score=float(movie.recommendation_score))
        for movie in movies[:limit]
    ]
