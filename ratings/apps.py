from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import pre_delete


class RatingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ratings"

    def ready(self) -> None:
        from ratings.signals import (
            delete_ratings_of_deleted_user,
            uncount_ratings_of_deleted_movie,
        )

        pre_delete.connect(
            delete_ratings_of_deleted_user,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="ratings.delete_ratings_of_deleted_user",
        )
        pre_delete.connect(
            uncount_ratings_of_deleted_movie,
            sender="movies.Movie",
            dispatch_uid="ratings.uncount_ratings_of_deleted_movie",
        )
