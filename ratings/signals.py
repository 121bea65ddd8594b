"""Keep rating aggregates exact when a user goes away with their ratings."""

from typing import Any

from ratings.services import ratings_delete_for_user


def delete_ratings_of_deleted_user(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Take a deleted user's ratings out of every movie's aggregates.

    The ratings would go anyway by ``on_delete=CASCADE``, but the cascade skips
    the services that keep each movie's count, sum and distribution exact.
    """
    ratings_delete_for_user(user=instance)
