from collections.abc import Callable
from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models import Model
from django.db.models.signals import (
    ModelSignal,
    m2m_changed,
    post_delete,
    post_save,
    pre_delete,
    pre_save,
)


class MoviesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "movies"

    def ready(self) -> None:
        from movies import signals
        from movies.models import Genre, Movie
        from movies.search import prepare_connection

        # The write seam: every ORM write of the catalogue announces itself.
        receivers: list[tuple[ModelSignal, type[Model], Callable[..., Any]]] = [
            (post_save, Movie, signals.movie_saved),
            (post_delete, Movie, signals.movie_deleted),
            (post_save, Genre, signals.genre_saved),
            (pre_delete, Genre, signals.genre_deleting),
            (m2m_changed, Movie.genres.through, signals.genre_links_changed),
            (pre_save, Movie, signals.fill_loaded_title_key),
        ]
        for signal, sender, receiver in receivers:
            signal.connect(
                receiver, sender=sender, dispatch_uid=f"movies.{receiver.__name__}"
            )
        connection_created.connect(
            prepare_connection, dispatch_uid="movies.search.prepare_connection"
        )
