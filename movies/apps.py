from django.apps import AppConfig
from django.db.models.signals import post_save


class MoviesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "movies"

    def ready(self) -> None:
        from movies.models import Genre, Movie
        from movies.signals import invalidate_loaded_rows

        for model in (Movie, Genre):
            post_save.connect(
                invalidate_loaded_rows,
                sender=model,
                dispatch_uid=f"movies.invalidate_loaded_rows.{model.__name__}",
            )
