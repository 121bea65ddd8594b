from django.apps import AppConfig
from django.db.models.signals import post_save, pre_save


class MoviesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "movies"

    def ready(self) -> None:
        from movies.models import Genre, Movie
        from movies.signals import fill_loaded_title_key, invalidate_loaded_rows

        for model in (Movie, Genre):
            post_save.connect(
                invalidate_loaded_rows,
                sender=model,
                dispatch_uid=f"movies.invalidate_loaded_rows.{model.__name__}",
            )
        pre_save.connect(
            fill_loaded_title_key,
            sender=Movie,
            dispatch_uid="movies.fill_loaded_title_key",
        )
