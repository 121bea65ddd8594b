"""Signals the ratings app sends, for the apps built on top of it.

``ratings`` is a lower app: it may not import the apps that react to its
writes (the watchlist takes a rated film off the rater's list). It defines the
signal here and sends it from its services inside their transaction; the
higher app connects a receiver in its ``AppConfig.ready``. The receiver runs
synchronously in the sender's transaction, so its writes commit or roll back
with the rating. A write that bypasses the services (``loaddata``) sends
nothing.
"""

from collections.abc import Iterable

from django.dispatch import Signal

from ratings.models import Rating

# Sent with ``user_id`` (the rater) and ``movie_ids`` (a list of ints): that
# user has just rated these movies, or changed their ratings of them.
movies_rated = Signal()


def send_movies_rated(*, user_id: int, movie_ids: Iterable[int]) -> None:
    """Announce that ``user_id`` rated ``movie_ids``, inside the write's transaction."""
    ids = sorted(set(movie_ids))
    if ids:
        movies_rated.send(sender=Rating, user_id=user_id, movie_ids=ids)
