"""Keep derived data exact when ``loaddata`` writes movies and genres.

The services and the admin invalidate what they change, and ``Movie.save()``
derives the title key; a fixture bypasses all of them and saves rows as they
are (``raw``, through ``Model.save_base``), so it is handled here.
"""

from typing import Any

from movies.cache import invalidate_movies_on_commit
from movies.models import Genre, Movie
from movies.titles import normalize_title


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


def fill_loaded_title_key(
    sender: Any, instance: Movie, raw: bool, **kwargs: Any
) -> None:
    """Derive a fixture movie's title key, which fixtures do not carry."""
    if not raw:
        return  # Movie.save() has set it.
    instance.title_key = normalize_title(instance.title)
