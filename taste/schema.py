"""The OpenAPI description of the taste views: one decorator per view."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view

from movieratings.openapi import id_parameter, view_schema
from taste.serializers import TasteProfileSerializer

_PROFILE_EXAMPLE = {
    "ratings_count": 3,
    "average_score": 3.83,
    "score_distribution": {
        "0.5": 0,
        "1.0": 0,
        "1.5": 0,
        "2.0": 0,
        "2.5": 0,
        "3.0": 1,
        "3.5": 0,
        "4.0": 1,
        "4.5": 1,
        "5.0": 0,
    },
    "by_decade": [
        {"decade": 1980, "count": 1, "average_score": 3.0},
        {"decade": 1990, "count": 2, "average_score": 4.25},
    ],
    "by_genre": [
        {
            "genre": {"id": 5, "name": "Crime", "slug": "crime"},
            "count": 2,
            "average_score": 4.25,
        },
    ],
    "versus_community": -0.12,
    "watchlist_count": 14,
}

my_taste_profile_schema = view_schema(
    extend_schema(
        tags=["users"],
        responses={200: TasteProfileSerializer},
        examples=[OpenApiExample("A taste profile", value=_PROFILE_EXAMPLE)],
    ),
    extend_schema_view(
        retrieve=extend_schema(
            summary="Your taste profile",
            description="What your ratings say: counts, averages, distribution, "
            "decades, genres, how you compare with everyone. Averages are null "
            "when nothing is rated.",
        )
    ),
)

user_taste_profile_schema = view_schema(
    extend_schema(parameters=[id_parameter("Id of the user.")]),
    extend_schema_view(
        retrieve=extend_schema(
            summary="A user's taste profile",
            description="The same as yours, for another user. 404 for an unknown "
            "user, and for a deactivated one unless you are an admin.",
        )
    ),
)
