"""Keep aggregates and ratings counts exact when a user or a movie goes."""

from typing import Any

from ratings.services import ratings_delete_for_user, ratings_uncount_for_movie


def delete_ratings_of_deleted_user(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Take a deleted user's ratings out of every movie's aggregates.

    The ratings would go anyway by ``on_delete=CASCADE``, but the cascade skips
    the services that keep each movie's count, sum and distribution exact.
    """
    ratings_delete_for_user(user=instance)


def uncount_ratings_of_deleted_movie(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Take a deleted movie's ratings out of their raters' ratings counts.

    The ratings go by ``on_delete=CASCADE``, which skips the services that keep
    each user's count exact.
    """
    ratings_uncount_for_movie(movie=instance)
