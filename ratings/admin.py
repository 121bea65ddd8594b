"""Ratings in the Django admin: every write goes through ratings.services.

The services keep each movie's stored aggregates exact; the admin's default
``save()``/``delete()`` would bypass them.
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
    raw_id_fields = ["user", "movie"]
    list_select_related = ["movie", "user"]
    ordering = ["-updated_at", "-id"]
    fields = ["user", "movie", "score", "review", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: Rating | None = None
    ) -> list[str]:
        # A rating's author and movie never change; only score and review do.
        if obj is not None:
            return ["user", "movie", *self.readonly_fields]
        return list(self.readonly_fields)

    def save_model(
        self, request: HttpRequest, obj: Rating, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            services.rating_update(rating=obj, score=obj.score, review=obj.review)
            return
        created = services.rating_create(
            user=obj.user, movie=obj.movie, score=obj.score, review=obj.review
        )
        # The admin logs and redirects using ``obj``.
        obj.pk, obj.created_at, obj.updated_at = (
            created.pk,
            created.created_at,
            created.updated_at,
        )

    def delete_model(self, request: HttpRequest, obj: Rating) -> None:
        services.rating_delete(rating=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Rating]) -> None:
        services.ratings_delete(ratings=queryset)
