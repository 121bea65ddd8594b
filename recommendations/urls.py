from django.urls import path

# Imported for its registration of the "id64" converter of every id route.
from ratings.urls import Id64Converter  # noqa: F401
from recommendations.views import (
    MyRecommendationsView,
    SimilarMoviesView,
    UserRecommendationsView,
)

app_name = "recommendations"

urlpatterns = [
    path(
        "movies/<id64:id>/similar/", SimilarMoviesView.as_view(), name="movie-similar"
    ),
    path(
        "users/me/recommendations/",
        MyRecommendationsView.as_view(),
        name="my-recommendations",
    ),
    path(
        "users/<id64:id>/recommendations/",
        UserRecommendationsView.as_view(),
        name="user-recommendations",
    ),
]
