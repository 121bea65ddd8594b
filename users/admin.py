from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from users.models import User
from users.services import user_end_sessions


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "email",
        "username",
        "role",
        "is_active",
        "date_joined",
        "ratings_count",
    ]
    list_filter = ["role", "is_active", "is_superuser"]
    search_fields = ["email", "username", "first_name", "last_name"]
    search_help_text = "Search by email, username, first or last name."
    ordering = ["email"]
    fieldsets = (
        (None, {"fields": ("email", "username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Role", {"fields": ("role", "is_active", "is_superuser")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
        ("Ratings", {"fields": ("ratings_count",)}),
    )
    # Kept by the ratings services; recompute_ratings recounts it.
    readonly_fields = ["ratings_count"]
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "username", "role", "password1", "password2"),
            },
        ),
    )
    filter_horizontal = ()

    def save_model(
        self, request: HttpRequest, obj: User, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        # As through the API: a deactivated account's tokens end, and
        # reactivating it later revives none of them.
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_end_sessions(user=obj)
