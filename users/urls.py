from rest_framework.routers import SimpleRouter

from users.views import AuthViewSet, UserViewSet

app_name = "users"

router = SimpleRouter()
router.register("auth", AuthViewSet, basename="auth")
router.register("users", UserViewSet, basename="user")

urlpatterns = router.urls
