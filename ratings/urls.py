from django.urls import path, register_converter
from django.urls.converters import IntConverter
from rest_framework.routers import SimpleRouter

from ratings.serializers import MAX_ID
from ratings.views import (
    MovieRatingsViewSet,
    MyMovieRatingViewSet,
    MyRatingsViewSet,
    RatingViewSet,
    UserRatingsViewSet,
)


class Id64Converter(IntConverter):
    """A database id: digits up to 2**63 - 1; a longer number matches no route."""

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("beyond any id")  # Django answers 404.
        return number


register_converter(Id64Converter, "id64")

app_name = "ratings"

router = SimpleRouter()
router.register("ratings", RatingViewSet, basename="rating")

urlpatterns = [
    *router.urls,
    path(
        "movies/<id64:id>/ratings/",
        MovieRatingsViewSet.as_view({"get": "list"}),
        name="movie-ratings",
    ),
    path(
        "movies/<id64:id>/rating/",
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
        "users/<id64:id>/ratings/",
        UserRatingsViewSet.as_view({"get": "list"}),
        name="user-ratings",
    ),
]
