"""The OpenAPI description of the diary views: one decorator per view."""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from diary.serializers import (
    DiaryEntryCreateSerializer,
    DiaryEntrySerializer,
    DiaryEntryUpdateSerializer,
)
from movieratings.openapi import id_parameter, view_schema
from movies.schema import MOVIE_SUMMARY_EXAMPLE

_ENTRY_EXAMPLE = {
    "id": 88,
    "movie": MOVIE_SUMMARY_EXAMPLE,
    "watched_on": "2026-01-31",
    "rewatch": True,
    "score": 4.5,
    "review": "Better the second time.",
    "created_at": "2026-02-01T09:12:45Z",
}

my_diary_schema = view_schema(
    extend_schema(tags=["users"]),
    extend_schema_view(
        list=extend_schema(
            summary="Your diary: when you watched what",
            description="Latest viewing first; `rewatch` marks every entry of a film "
            "after its first.",
        ),
        create=extend_schema(
            summary="Log a viewing",
            description="A `score` (with `review`) given here also becomes your "
            "rating of the film, exactly as `PUT movies/{id}/rating/` would, and "
            "takes it off your watchlist. The same film on the same day twice is "
            "a 400.",
            request=DiaryEntryCreateSerializer,
            responses={201: DiaryEntrySerializer},
            examples=[
                OpenApiExample(
                    "Log a rewatch with a score",
                    request_only=True,
                    value={
                        "movie": 7,
                        "watched_on": "2026-01-31",
                        "score": 4.5,
                        "review": "Better the second time.",
                    },
                ),
                OpenApiExample(
                    "Viewing logged",
                    response_only=True,
                    status_codes=["201"],
                    value=_ENTRY_EXAMPLE,
                ),
            ],
        ),
    ),
)

user_diary_schema = view_schema(
    extend_schema(tags=["users"], parameters=[id_parameter("Id of the user.")]),
    extend_schema_view(
        list=extend_schema(
            summary="A user's diary",
            description="Their viewings, latest first. 404 for an unknown user, and "
            "for a deactivated one unless you are an admin.",
        )
    ),
)

my_diary_entry_schema = view_schema(
    extend_schema(tags=["users"], parameters=[id_parameter("Id of the diary entry.")]),
    extend_schema_view(
        partial_update=extend_schema(
            summary="Change a viewing in your diary",
            description="Change `watched_on`, `score` or `review`; your rating of the "
            "film stays as it is. 404 for an entry that is not yours.",
            request=DiaryEntryUpdateSerializer,
            responses={200: DiaryEntrySerializer},
        ),
        destroy=extend_schema(
            summary="Remove a viewing from your diary",
            description="Your rating of the film stays as it is. 404 for an entry "
            "that is not yours.",
            responses={204: OpenApiResponse(description="Removed.")},
        ),
    ),
)
