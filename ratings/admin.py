"""Ratings in the Django admin: every write goes through ratings.services.

The services keep each movie's stored aggregates exact; the admin's default
``save()``/``delete()`` would bypass them. Curators correct or remove
ratings; they never add one, which would rate a film on a user's behalf.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from movies.models import SCORES, score_key
from ratings import services
from ratings.models import Rating


class RatingAdminForm(forms.ModelForm):
    # The model's choices are Decimal("1"), ...: a stored 1.0 would match none
    # of their strings, so offer and match the stored one-decimal form.
    score = forms.TypedChoiceField(
        choices=[(score_key(score), score_key(score)) for score in SCORES],
        coerce=Decimal,
    )

    class Meta:
        model = Rating
        fields = ["user", "movie", "score", "review"]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    form = RatingAdminForm
    list_display = ["id", "movie", "user", "score", "updated_at"]
    list_display_links = ["id"]
    list_filter = ["score"]
    search_fields = ["movie__title", "user__email"]
    search_help_text = "Search by movie title or the rater's email."
    raw_id_fields = ["user", "movie"]
    list_select_related = ["movie", "user"]
    ordering = ["-updated_at", "-id"]
    fields = ["user", "movie", "score", "review", "created_at", "updated_at"]

    # A rating's author and movie never change; only score and review do.
    readonly_fields = ["user", "movie", "created_at", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Rating, form: forms.ModelForm, change: bool
    ) -> None:
        services.rating_update(rating=obj, score=obj.score, review=obj.review)

    def delete_model(self, request: HttpRequest, obj: Rating) -> None:
        services.rating_delete(rating=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Rating]) -> None:
        services.ratings_delete(ratings=queryset)
