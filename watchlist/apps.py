from django.apps import AppConfig


class WatchlistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "watchlist"

    def ready(self) -> None:
        from ratings.events import movies_rated
        from watchlist.signals import remove_rated_movies

        movies_rated.connect(
            remove_rated_movies, dispatch_uid="watchlist.remove_rated_movies"
        )
