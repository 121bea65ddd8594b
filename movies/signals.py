"""Keep the cache exact when ``loaddata`` writes movies and genres.

The services and the admin invalidate what they change; a fixture bypasses
both and saves rows as they are (``raw``), so it is handled here.
"""

from typing import Any

from django.db import transaction

from movies.cache import invalidate_movies
from movies.models import Genre, Movie


def invalidate_loaded_rows(
    sender: Any, instance: Any, raw: bool, **kwargs: Any
) -> None:
    """Forget the cached data a fixture's movie or genre row changes."""
    if not raw:
        return
    if isinstance(instance, Genre):
        movie_ids = list(instance.movies.values_list("pk", flat=True))
    elif isinstance(instance, Movie):
        movie_ids = [instance.pk]
    else:
        return
    transaction.on_commit(lambda: invalidate_movies(movie_ids))
