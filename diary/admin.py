"""Diaries in the Django admin: curators may look, never change."""

from django.contrib import admin
from django.http import HttpRequest

from diary.models import DiaryEntry


@admin.register(DiaryEntry)
class DiaryEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "movie", "user", "watched_on", "score", "created_at"]
    list_display_links = ["id"]
    list_filter = ["score"]
    search_fields = ["movie__title", "user__email"]
    list_select_related = ["movie", "user"]
    raw_id_fields = ["user", "movie"]
    ordering = ["-watched_on", "-id"]
    date_hierarchy = "watched_on"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: DiaryEntry | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: DiaryEntry | None = None
    ) -> bool:
        return False
