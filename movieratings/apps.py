from django.contrib.admin.apps import AdminConfig


class MovieRatingsAdminConfig(AdminConfig):
    """The Django admin with movieratings' own site (movieratings.admin)."""

    default_site = "movieratings.admin.MovieRatingsAdminSite"

    def ready(self) -> None:
        super().ready()  # loads every app's admin module
        from django.contrib import admin

        from movieratings.admin_registry import tidy_registry

        tidy_registry(admin.site)
