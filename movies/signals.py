"""The catalogue's write seam: every write announces what it changes, here.

Saving or deleting a movie or a genre, and linking or unlinking genres, sends
Django's signals whichever path writes (the services, the admin, ``loaddata``,
the ORM anywhere): the receivers below collect the ids of the movies whose
cached representations change. Unlike most receivers they act on ``raw``
saves too: a fixture changes what readers are served like any other write.
``catalogue_changed`` keeps the ids per transaction and registers one
``on_commit`` per transaction, which forgets those movies (and everything
derived from the whole catalogue) once it commits. Writes that send no signal
(raw SQL, ``QuerySet.update()``, ``bulk_create``, ``COPY``) call
``catalogue_changed`` themselves, each saying so.

``Movie.save()`` derives the title key; a fixture bypasses it and saves rows
as they are (``raw``), so ``fill_loaded_title_key`` derives it then.
"""

from collections.abc import Iterable
from typing import Any

from movieratings.versions import once_on_commit
from movies.cache import invalidate_movies
from movies.models import Genre, Movie
from movies.titles import normalize_title


def catalogue_changed(
    movie_ids: Iterable[int] = (), *, using: str | None = None
) -> None:
    """Forget these movies' cached data and the catalogue's once this commits.

    Outside a transaction that is at once. Any number of calls in one
    transaction make one invalidation, of all the movies they name.
    """
    once_on_commit(invalidate_movies, movie_ids, using=using)


def _movies_of(genre: Genre, using: str | None) -> list[int]:
    return list(
        Movie.genres.through.objects.using(using)
        .filter(genre_id=genre.pk)
        .values_list("movie_id", flat=True)
    )


def movie_saved(sender: Any, instance: Movie, using: str, **kwargs: Any) -> None:
    """Announce a movie created, changed or loaded from a fixture."""
    catalogue_changed([instance.pk], using=using)


def movie_deleted(sender: Any, instance: Movie, using: str, **kwargs: Any) -> None:
    """Announce a movie deleted (its detail must become a 404)."""
    catalogue_changed([instance.pk], using=using)


def genre_saved(
    sender: Any, instance: Genre, created: bool, using: str, **kwargs: Any
) -> None:
    """Announce a genre created (the genre list) or changed (its movies too)."""
    catalogue_changed([] if created else _movies_of(instance, using), using=using)


def genre_deleting(sender: Any, instance: Genre, using: str, **kwargs: Any) -> None:
    """Announce a genre about to be deleted, with its movies.

    ``pre_delete``: by ``post_delete`` the genre's links are deleted.
    """
    catalogue_changed(_movies_of(instance, using), using=using)


def genre_links_changed(
    sender: Any,
    instance: Movie | Genre,
    action: str,
    reverse: bool,
    pk_set: set[int] | None,
    using: str,
    **kwargs: Any,
) -> None:
    """Announce genres linked to or unlinked from movies, from either side."""
    if not reverse:  # movie.genres.add(...), .remove(...), .set(...), .clear()
        if action in {"post_add", "post_remove", "post_clear"}:
            catalogue_changed([instance.pk], using=using)
    elif action in {"post_add", "post_remove"}:  # genre.movies.add(...), ...
        catalogue_changed(pk_set or (), using=using)
    elif action == "pre_clear" and isinstance(instance, Genre):
        # By post_clear the genre's links are gone.
        catalogue_changed(_movies_of(instance, using), using=using)


def fill_loaded_title_key(
    sender: Any, instance: Movie, raw: bool, **kwargs: Any
) -> None:
    """Derive a fixture movie's title key, which fixtures do not carry."""
    if not raw:
        return  # Movie.save() has set it.
    instance.title_key = normalize_title(instance.title)
