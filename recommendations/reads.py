"""The bodies of the recommendation endpoints, cached until the next write.

A body depends on the served model, on the ratings (the user's own, and
everyone's through the films' aggregates and C) and on the catalogue. It is
cached per model version under the catalogue's version, which every committed
rating, unrating, import and catalogue write changes: the user's newest
ratings count at the next request, a new model from the first request that
sees it, and no one is served a body computed before a write they could see.
"""

import hashlib
from typing import Any

from movies import cache
from movies.reads import rating_context
from recommendations import selectors, serving
from recommendations.serializers import (
    RecommendationsSerializer,
    SimilarMoviesSerializer,
)


def _key(*parts: object) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"recommendations:{digest[:32]}"


def similar_body(*, movie_id: int, limit: int) -> dict[str, Any] | None:
    """Return the body of ``movies/{movie_id}/similar/``; None if no such movie."""
    served = serving.served()

    def compute() -> dict[str, Any] | None:
        similar = selectors.similar_movies(
            model=None if served is None else served.model,
            movie_id=movie_id,
            limit=limit,
        )
        if similar is None:
            return None
        context = rating_context(similar.global_mean)
        return dict(SimilarMoviesSerializer(similar, context=context).data)

    version = 0 if served is None else served.version
    return cache.catalogue.catalogue_entry(
        _key("similar", version, movie_id, limit), compute
    )


def recommendations_body(
    *, user_id: int, limit: int, genres: list[str]
) -> dict[str, Any]:
    """Return the body of the recommendations of the user ``user_id``."""
    served = serving.served()

    def compute() -> dict[str, Any]:
        recommendations = selectors.recommendations_for(
            model=None if served is None else served.model,
            user_id=user_id,
            limit=limit,
            genres=genres,
        )
        context = rating_context(recommendations.global_mean)
        return dict(RecommendationsSerializer(recommendations, context=context).data)

    version = 0 if served is None else served.version
    return cache.catalogue.catalogue_entry(
        _key("picks", version, user_id, limit, sorted(genres)), compute
    )
