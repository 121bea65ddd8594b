"""Writes on the catalogue: genres and movies.

Each function is one transaction; the cached data it changes is forgotten
once it commits by the write seam (``movies.signals``), which sees every save,
delete and genre link. Movie writes never touch the rating aggregates: those
belong to ``movies.aggregates``, and an UPDATE limited to the changed columns
cannot overwrite a concurrent rating's change to them.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.text import slugify

from movieratings.constraints import constraint_errors
from movieratings.services import model_update
from movies.models import MOVIE_EDITABLE_FIELDS, Genre, Movie
from users.models import User

# The movie columns a client may write; genres have an argument of their own.
MOVIE_EDITABLE_COLUMNS = frozenset(MOVIE_EDITABLE_FIELDS) - {"genres"}


def _lock_for_update(model: type[Genre] | type[Movie], pk: int) -> None:
    """Lock the row about to be changed, or raise ``DoesNotExist``.

    A row deleted by a concurrent request after the view looked it up is
    gone (404), where a bare ``save(update_fields=...)`` would fail on no row.
    """
    if not model.objects.select_for_update(no_key=True).filter(pk=pk).exists():
        name = model._meta.verbose_name
        raise model.DoesNotExist(f"This {name} no longer exists.")


def _lock_genres(genres: Iterable[Genre]) -> list[Genre]:
    """Keep the genres about to be linked from being deleted until commit.

    PostgreSQL checks the (deferred) foreign keys of the new links only at
    commit: a genre deleted meanwhile would fail the commit. A genre deleted
    before the lock is reported like any unknown genre.
    """
    genres = list(genres)
    locked = set(
        Genre.objects.select_for_update(no_key=True)
        .filter(pk__in=[genre.pk for genre in genres])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    unknown = [genre.slug for genre in genres if genre.pk not in locked]
    if unknown:
        raise ValidationError({"genres": [f"Unknown genre: {', '.join(unknown)}."]})
    return genres


@transaction.atomic
def genre_create(*, name: str, slug: str | None = None) -> Genre:
    """Create a genre; the slug defaults to ``slugify(name)``."""
    slug = slug or slugify(name)
    if not slug:
        raise ValidationError(
            {"slug": ["No slug can be derived from this name: send a slug."]}
        )
    genre = Genre(name=name, slug=slug)
    with constraint_errors(genre):
        genre.save()
    return genre


@transaction.atomic
def genre_update(
    *, genre: Genre, name: str | None = None, slug: str | None = None
) -> Genre:
    """Rename a genre and/or change its slug (None keeps the current value)."""
    changes = {"name": name, "slug": slug}
    changes = {field: value for field, value in changes.items() if value is not None}
    if not changes:
        return genre
    _lock_for_update(Genre, genre.pk)
    model_update(instance=genre, data=changes)
    return genre


@transaction.atomic
def genre_delete(*, genre: Genre) -> None:
    """Delete a genre; its movies stay, without it."""
    genre.delete()


@transaction.atomic
def genres_delete(*, genres: QuerySet[Genre]) -> int:
    """Delete these genres; their movies stay, without them. Return how many."""
    _total, per_model = Genre.objects.filter(pk__in=genres.values("pk")).delete()
    return per_model.get(Genre._meta.label, 0)


@transaction.atomic
def movie_create(
    *,
    actor: User | None,
    title: str,
    year: int | None,
    genres: Iterable[Genre] = (),
    overview: str = "",
    runtime_minutes: int | None = None,
    imdb_id: str | None = None,
    tmdb_id: int | None = None,
) -> Movie:
    """Add a movie to the catalogue, recording who added it."""
    genres = _lock_genres(genres)
    movie = Movie(
        title=title,
        year=year,
        overview=overview,
        runtime_minutes=runtime_minutes,
        imdb_id=imdb_id,
        tmdb_id=tmdb_id,
        created_by=actor,
    )
    with constraint_errors(movie):
        movie.save()
    movie.genres.set(genres)
    return movie


@transaction.atomic
def movie_update(
    *, movie: Movie, genres: Iterable[Genre] | None = None, **changes: Any
) -> Movie:
    """Change a movie's fields in ``changes`` and, unless None, its genres.

    Only the changed columns are written, so that the stored rating
    aggregates, which concurrent rating writes update, are never overwritten
    with the stale values of this instance. Raise ``Movie.DoesNotExist`` if the
    movie was deleted meanwhile.
    """
    unknown = sorted(set(changes) - MOVIE_EDITABLE_COLUMNS)
    if unknown:
        raise ValidationError(f"These movie fields cannot be changed: {unknown}.")
    if not changes and genres is None:
        return movie  # Nothing to change: updated_at stays as it is.
    _lock_for_update(Movie, movie.pk)
    if genres is not None:
        genres = _lock_genres(genres)
    model_update(
        instance=movie,
        data=changes if genres is None else {**changes, "genres": genres},
    )
    return movie


@transaction.atomic
def movie_delete(*, movie: Movie) -> None:
    """Delete a movie; its ratings are deleted with it (CASCADE).

    The movie's row is locked ``FOR UPDATE`` before its ratings are collected.
    A rating write holds ``FOR KEY SHARE`` on its movie until it commits, so
    the lock waits for the writes under way, whose ratings are then collected
    and deleted too; writes that come later wait for this deletion and find
    the movie gone (404). Without the lock a rating committed between the
    collection and the movie's deletion failed the foreign key check at
    COMMIT. Raise ``Movie.DoesNotExist`` if the movie was deleted meanwhile.

    The raters are locked before the movie, in the order of every rating
    write (rater, then movie): the ratings app takes the deleted ratings out
    of their stored counts, and a rater waiting for the movie with their own
    row locked would otherwise deadlock with it.
    """
    movie_id = movie.pk
    list(
        User.objects.select_for_update(no_key=True, of=("self",))
        .filter(ratings__movie_id=movie_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not Movie.objects.select_for_update().filter(pk=movie_id).exists():
        raise Movie.DoesNotExist("This movie no longer exists.")
    movie.delete()


@transaction.atomic
def movies_delete(*, movies: QuerySet[Movie]) -> int:
    """Delete these movies and their ratings (CASCADE); return how many.

    The movies' rows are locked ``FOR UPDATE`` in id order first, for the
    reason ``movie_delete`` gives, in the lock order of every bulk write.
    """
    pks = list(
        Movie.objects.select_for_update()
        .filter(pk__in=movies.values("pk"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Movie.objects.filter(pk__in=pks).delete()
    return len(pks)
