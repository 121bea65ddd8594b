from django.urls import path
from rest_framework.routers import SimpleRouter

from ratings.views import (
    MovieRatingsViewSet,
    MyMovieRatingViewSet,
    MyRatingsViewSet,
    RatingViewSet,
    UserRatingsViewSet,
)

app_name = "ratings"

router = SimpleRouter()
router.register("ratings", RatingViewSet, basename="rating")

urlpatterns = [
    *router.urls,
    path(
        "movies/<int:id>/ratings/",
        MovieRatingsViewSet.as_view({"get": "list"}),
        name="movie-ratings",
    ),
    path(
        "movies/<int:id>/rating/",
        MyMovieRatingViewSet.as_view(
            {"get": "retrieve", "put": "update", "delete": "destroy"}
        ),
        name="movie-rating",
    ),
    path(
        "users/me/ratings/",
        MyRatingsViewSet.as_view({"get": "list"}),
        name="my-ratings",
    ),
    path(
        "users/<int:id>/ratings/",
        UserRatingsViewSet.as_view({"get": "list"}),
        name="user-ratings",
    ),
]
