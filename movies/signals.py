"""Keep the cache exact when ``loaddata`` writes movies and genres.

The services and the admin invalidate what they change; a fixture bypasses
both and saves rows as they are (``raw``), so it is handled here.
"""

from typing import Any

from movies.cache import invalidate_movies_on_commit
from movies.models import Genre


def invalidate_loaded_rows(
    sender: Any, instance: Any, raw: bool, **kwargs: Any
) -> None:
    """Forget the cached data a fixture's movie or genre row changes."""
    if not raw:
        return
    if isinstance(instance, Genre):
        invalidate_movies_on_commit(instance.movies.values_list("pk", flat=True))
    else:
        invalidate_movies_on_commit([instance.pk])
