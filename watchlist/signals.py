"""Keep the watchlist free of the films its owner has just rated."""

from typing import Any

from watchlist.services import watchlist_remove_rated


def remove_rated_movies(
    sender: Any, user_id: int, movie_ids: list[int], **kwargs: Any
) -> None:
    """Take films off their rater's watchlist (``ratings.events.movies_rated``).

    Runs inside the rating's transaction, so both commit or neither does.
    """
    watchlist_remove_rated(user_id=user_id, movie_ids=movie_ids)
