"""Watchlists in the Django admin: curators may look, never change."""

from django.contrib import admin
from django.http import HttpRequest

from watchlist.models import WatchlistEntry


@admin.register(WatchlistEntry)
class WatchlistEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "movie", "user", "added_at"]
    list_display_links = ["id"]
    search_fields = ["movie__title", "user__email"]
    list_select_related = ["movie", "user"]
    raw_id_fields = ["user", "movie"]
    ordering = ["-added_at", "-id"]
    date_hierarchy = "added_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: WatchlistEntry | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: WatchlistEntry | None = None
    ) -> bool:
        return False
