from django.urls import path

import ratings.urls  # noqa: F401 (registers the "id64" path converter)
from watchlist.views import (
    MovieWatchlistViewSet,
    MyWatchlistViewSet,
    UserWatchlistViewSet,
)

app_name = "watchlist"

urlpatterns = [
    path(
        "movies/<id64:id>/watchlist/",
        MovieWatchlistViewSet.as_view({"put": "update", "delete": "destroy"}),
        name="movie-watchlist",
    ),
    path(
        "users/me/watchlist/",
        MyWatchlistViewSet.as_view({"get": "list"}),
        name="my-watchlist",
    ),
    path(
        "users/<id64:id>/watchlist/",
        UserWatchlistViewSet.as_view({"get": "list"}),
        name="user-watchlist",
    ),
]
