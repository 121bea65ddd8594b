from rest_framework.routers import SimpleRouter

from movies.views import GenreViewSet, MovieViewSet

app_name = "movies"

router = SimpleRouter()
router.register("genres", GenreViewSet, basename="genre")
router.register("movies", MovieViewSet, basename="movie")

urlpatterns = router.urls
