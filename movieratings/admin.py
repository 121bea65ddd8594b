"""The Django admin site of movieratings: a curator's desk, then operations.

Curators (admin-role users) see the catalogue and the ratings, and a dashboard
of what the ratings do on the index page (``movieratings.dashboard``).
Superusers also see users and, under "Operations", the tables of issued and
revoked refresh tokens and of sign-in failures (django-axes: where a locked-out
account is let in again), which only an incident should make anyone touch.
Groups are not shown: permissions come from the role (users.backends).
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from movieratings import dashboard

OPERATIONS_APP_LABELS = ("token_blacklist", "axes")


class MovieRatingsAdminSite(admin.AdminSite):
    site_header = "movieratings administration"
    site_title = "movieratings admin"
    index_template = "admin/movieratings_index.html"

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        app_list = super().get_app_list(request, app_label)
        curated = [
            app for app in app_list if app["app_label"] not in OPERATIONS_APP_LABELS
        ]
        if not request.user.is_superuser:
            return curated
        operations = [
            model
            for app in app_list
            if app["app_label"] in OPERATIONS_APP_LABELS
            for model in app["models"]
        ]
        if not operations:
            return curated
        section = {
            "name": "Operations",
            "app_label": OPERATIONS_APP_LABELS[0],
            "app_url": operations[0]["admin_url"],
            "has_module_perms": True,
            "models": operations,
        }
        return [*curated, section]

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        context = dict(extra_context or {})
        if request.user.has_module_perms("ratings"):
            context["dashboard"] = dashboard.charts()
        return super().index(request, context)
