"""The OpenAPI description of the watchlist views: one decorator per view."""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from movieratings.openapi import id_parameter, view_schema
from movies.schema import MOVIE_SUMMARY_EXAMPLE
from watchlist.serializers import WatchlistEntrySerializer

_ENTRY_EXAMPLE = {
    "movie": MOVIE_SUMMARY_EXAMPLE,
    "added_at": "2026-02-01T09:12:45Z",
}

movie_watchlist_schema = view_schema(
    extend_schema(
        tags=["movies"], parameters=[id_parameter("Id of the movie.")], request=None
    ),
    extend_schema_view(
        update=extend_schema(
            summary="Put a movie on your watchlist",
            description="201 when it is added, 200 with the same body when it was "
            "there already (its `added_at` stays). No request body is needed; one "
            "that is sent must be a JSON object, and its contents are ignored.",
            responses={
                200: OpenApiResponse(
                    WatchlistEntrySerializer, description="Already on your watchlist."
                ),
                201: OpenApiResponse(
                    WatchlistEntrySerializer, description="Added to your watchlist."
                ),
            },
            examples=[
                OpenApiExample(
                    "On the watchlist", response_only=True, value=_ENTRY_EXAMPLE
                )
            ],
        ),
        destroy=extend_schema(
            summary="Take a movie off your watchlist (404 if it is not there)",
            responses={204: OpenApiResponse(description="Removed.")},
        ),
    ),
)

my_watchlist_schema = view_schema(
    extend_schema(tags=["users"]),
    extend_schema_view(
        list=extend_schema(
            summary="Your watchlist: the films you mean to see",
            description="Each film with a summary of it and when you added it. "
            "Rating a film takes it off the list.",
        )
    ),
)

user_watchlist_schema = view_schema(
    extend_schema(tags=["users"], parameters=[id_parameter("Id of the user.")]),
    extend_schema_view(
        list=extend_schema(
            summary="A user's watchlist",
            description="The films they mean to see. 404 for an unknown user, and "
            "for a deactivated one unless you are an admin.",
        )
    ),
)
