"""The Django admin where curators (admin-role users) keep the catalogue."""

from collections.abc import Container
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import ngettext

from movies import aggregates, services
from movies.models import (
    MIN_YEAR,
    MOVIE_EDITABLE_FIELDS,
    OVERVIEW_MAX_LENGTH,
    RUNTIME_MINUTES_MAX,
    Genre,
    Movie,
    validate_imdb_id,
    validate_movie_year,
)
from movies.titles import normalize_title


def _adopt(obj: Model, created: Model) -> None:
    """Make the admin's unsaved ``obj`` the row a service has just created.

    The admin goes on with its own instance (the genres' form, the log entry,
    the redirect to the new object).
    """
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(created, field.attname))
    obj._state.adding, obj._state.db = False, created._state.db


def _changed(form: forms.ModelForm, names: Container[str]) -> dict[str, Any]:
    return {
        name: form.cleaned_data[name] for name in form.changed_data if name in names
    }


class HasRatingsFilter(admin.SimpleListFilter):
    title = "has ratings"
    parameter_name = "has_ratings"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> QuerySet[Any] | None:
        if self.value() == "yes":
            return queryset.filter(rating_count__gt=0)
        if self.value() == "no":
            return queryset.filter(rating_count=0)
        return queryset


class DecadeFilter(admin.SimpleListFilter):
    """Filter by decade: one link per decade the catalogue holds, not per year."""

    title = "decade"
    parameter_name = "decade"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        years = Movie.objects.exclude(year=None).values_list("year", flat=True)
        decades = sorted({year // 10 * 10 for year in years.distinct() if year})
        return [
            *((str(decade), f"{decade}s") for decade in decades),
            ("unknown", "Year unknown"),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> QuerySet[Any] | None:
        value = self.value()
        if value == "unknown":
            return queryset.filter(year=None)
        if value is not None and value.isdigit():
            decade = int(value)
            return queryset.filter(year__gte=decade, year__lte=decade + 9)
        return queryset


class MovieAdminForm(forms.ModelForm):
    """The movie form, with the same validation rules as the API."""

    # The range is one validator, so a year out of it gets one message.
    year = forms.IntegerField(
        required=False,
        validators=[validate_movie_year],
        help_text=f"{MIN_YEAR} to next year + 5; empty when unknown.",
    )
    overview = forms.CharField(
        required=False, widget=forms.Textarea, max_length=OVERVIEW_MAX_LENGTH
    )
    runtime_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=RUNTIME_MINUTES_MAX
    )
    imdb_id = forms.CharField(
        label="IMDb id",
        required=False,
        max_length=12,
        validators=[validate_imdb_id],
        help_text="Like tt0114709.",
    )
    tmdb_id = forms.IntegerField(
        label="TMDB id", required=False, min_value=1, max_value=2**31 - 1
    )

    class Meta:
        model = Movie
        fields = MOVIE_EDITABLE_FIELDS

    def clean_imdb_id(self) -> str | None:
        # An empty box means "no IMDb id" (NULL, which may repeat), not "".
        return self.cleaned_data["imdb_id"] or None


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    search_help_text = "Search by name or slug."
    prepopulated_fields = {"slug": ("name",)}
    ordering = ["name"]

    def save_model(
        self,
        request: HttpRequest,
        obj: Genre,
        form: forms.ModelForm,
        change: bool,
    ) -> None:
        if change:
            services.genre_update(genre=obj, **_changed(form, {"name", "slug"}))
        else:
            created = services.genre_create(
                name=form.cleaned_data["name"], slug=form.cleaned_data["slug"]
            )
            _adopt(obj, created)

    def delete_model(self, request: HttpRequest, obj: Genre) -> None:
        services.genre_delete(genre=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Genre]) -> None:
        services.genres_delete(genres=queryset)


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    form = MovieAdminForm
    list_display = [
        "title",
        "year",
        "imdb_id",
        "rating_count",
        "average_rating_display",
        "updated_at",
    ]
    list_filter = ["genres", DecadeFilter, HasRatingsFilter]
    # The search term is normalised like titles (movies.titles), so case,
    # accents, punctuation and articles do not matter; an IMDb id matches whole.
    search_fields = ["title_key", "=imdb_id"]
    search_help_text = (
        "Search by title (case, accents, punctuation and a leading article do "
        "not matter) or by IMDb id (tt0111161)."
    )
    autocomplete_fields = ["genres"]
    readonly_fields = [
        "rating_count",
        "average_rating_display",
        "rating_distribution_display",
        "movielens_id",
        "created_by",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {"fields": tuple(MOVIE_EDITABLE_FIELDS)},
        ),
        (
            "Ratings",
            {
                "fields": [
                    "rating_count",
                    "average_rating_display",
                    "rating_distribution_display",
                ],
                "description": "Counted from the users' ratings, and updated "
                "with every rating. Should they ever disagree with the ratings, "
                "select the movie in the movie list and choose “Recount the "
                "ratings of the selected movies”.",
            },
        ),
        (
            "Record",
            {"fields": ["movielens_id", "created_by", "created_at", "updated_at"]},
        ),
    ]
    actions = ["rebuild_rating_aggregates"]
    list_select_related = False
    show_full_result_count = False

    def get_fieldsets(self, request: HttpRequest, obj: Movie | None = None) -> Any:
        # A movie being added has no ratings and no record yet.
        return self.fieldsets if obj is not None else self.fieldsets[:1]

    @admin.display(description="average rating", ordering="rating_average")
    def average_rating_display(self, movie: Movie) -> float | str:
        average = movie.average_rating
        return "No ratings yet" if average is None else average

    @admin.display(description="ratings per score")
    def rating_distribution_display(self, movie: Movie) -> str:
        return ", ".join(
            f"{score}: {count}" for score, count in movie.rating_distribution.items()
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Movie], search_term: str
    ) -> tuple[QuerySet[Movie], bool]:
        return super().get_search_results(
            request, queryset, normalize_title(search_term)
        )

    def save_model(
        self,
        request: HttpRequest,
        obj: Movie,
        form: forms.ModelForm,
        change: bool,
    ) -> None:
        # The genres go through the service too: save_related(), which runs
        # next in the same transaction, then finds them set already.
        if change:
            # Write only the changed columns, never the rating aggregates of
            # this possibly stale instance.
            services.movie_update(
                movie=obj,
                genres=form.cleaned_data["genres"]
                if "genres" in form.changed_data
                else None,
                **_changed(form, services.MOVIE_EDITABLE_COLUMNS),
            )
        else:
            created = services.movie_create(
                actor=request.user,  # type: ignore[arg-type]
                **{name: form.cleaned_data[name] for name in MOVIE_EDITABLE_FIELDS},
            )
            _adopt(obj, created)

    def delete_model(self, request: HttpRequest, obj: Movie) -> None:
        services.movie_delete(movie=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Movie]) -> None:
        services.movies_delete(movies=queryset)

    @admin.action(
        description="Recount the ratings of the selected movies",
        permissions=["change"],
    )
    def rebuild_rating_aggregates(
        self, request: HttpRequest, queryset: QuerySet[Movie]
    ) -> None:
        selected = queryset.count()
        corrected = len(aggregates.rebuild(movies=queryset))
        checked = ngettext(
            "Recounted the ratings of %(count)d movie",
            "Recounted the ratings of %(count)d movies",
            selected,
        ) % {"count": selected}
        if corrected:
            outcome = ngettext(
                "%(count)d had a count that disagreed with its ratings and "
                "is now corrected.",
                "%(count)d had counts that disagreed with their ratings and "
                "are now corrected.",
                corrected,
            ) % {"count": corrected}
        else:
            outcome = "every count already agreed with the ratings."
        self.message_user(request, f"{checked}: {outcome}", messages.SUCCESS)
