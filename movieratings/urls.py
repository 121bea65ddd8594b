from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from movieratings.exceptions import API_FALLBACK, api_fallback
from movieratings.health import HealthView, ReadinessView

api_v1 = [
    path("", include("users.urls")),
    path("", include("movies.urls")),
    path("", include("ratings.urls")),
    path("", include("watchlist.urls")),
    path("", include("diary.urls")),
    path("", include("taste.urls")),
    path("", include("imports.urls")),
    path("", include("recommendations.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(
            url_name="schema", template_name="docs/swagger_ui.html"
        ),
        name="docs",
    ),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(
            url_name="schema", template_name="docs/redoc.html"
        ),
        name="redoc",
    ),
    path("healthz/", HealthView.as_view(), name="healthz"),
    path("readyz/", ReadinessView.as_view(), name="readyz"),
    path("admin/", admin.site.urls),
    # Last: every other path under /api/ answers JSON (a 404, or a 308 to the
    # path with its trailing slash), also where Django would render HTML.
    re_path(r"^api/(?P<path>.*)$", api_fallback, name=API_FALLBACK),
]

handler400 = "movieratings.exceptions.bad_request"
handler403 = "movieratings.exceptions.permission_denied"
handler404 = "movieratings.exceptions.page_not_found"
handler500 = "movieratings.exceptions.server_error"
