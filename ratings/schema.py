"""The OpenAPI description of the ratings views: one decorator per view."""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from movieratings.openapi import id_parameter, view_schema
from ratings.serializers import (
    MovieRatingUpsertSerializer,
    RatingSerializer,
    RatingUpdateSerializer,
)

_RATING_ID = id_parameter("Id of the rating.")

# Schema examples of rating a movie (shapes of real bodies).
_RATING_EXAMPLE = {
    "id": 311,
    "movie": 7,
    "user": {
        "id": 42,
        "username": "ada",
        "date_joined": "2026-01-15T18:30:00Z",
        "ratings_count": 12,
    },
    "score": 4.5,
    "review": "The coffee shop scene alone.",
    "created_at": "2026-02-01T09:12:45Z",
    "updated_at": "2026-02-01T09:12:45Z",
}
_RATING_UPSERT_EXAMPLES = [
    OpenApiExample(
        "Rate with a review",
        request_only=True,
        value={"score": 4.5, "review": "The coffee shop scene alone."},
    ),
    OpenApiExample(
        "Change only the score",
        description="An omitted `review` keeps the current one.",
        request_only=True,
        value={"score": 4.0},
    ),
    OpenApiExample(
        "Rating created",
        response_only=True,
        status_codes=["201"],
        value=_RATING_EXAMPLE,
    ),
    OpenApiExample(
        "Rating changed",
        response_only=True,
        status_codes=["200"],
        value={**_RATING_EXAMPLE, "score": 4.0, "updated_at": "2026-02-03T21:04:10Z"},
    ),
]

ratings_schema = view_schema(
    extend_schema(tags=["ratings"]),
    extend_schema_view(
        list=extend_schema(summary="List your ratings (admins: everyone's)"),
        create=extend_schema(
            summary="Rate a movie (400 if you already rated it)",
            responses={201: RatingSerializer},
        ),
        retrieve=extend_schema(summary="A rating", parameters=[_RATING_ID]),
        update=extend_schema(
            summary="Change your rating (owner only)",
            parameters=[_RATING_ID],
            request=RatingUpdateSerializer,
            responses={200: RatingSerializer},
        ),
        partial_update=extend_schema(
            summary="Change your rating partially (owner only)",
            parameters=[_RATING_ID],
            request=RatingUpdateSerializer,
            responses={200: RatingSerializer},
        ),
        destroy=extend_schema(
            summary="Delete a rating (owner or admin)",
            parameters=[_RATING_ID],
            responses={204: OpenApiResponse(description="Deleted.")},
        ),
    ),
)

movie_ratings_schema = view_schema(
    extend_schema(tags=["movies"], parameters=[id_parameter("Id of the movie.")]),
    extend_schema_view(
        list=extend_schema(
            summary="A movie's ratings (anyone)",
            description="Everyone's ratings of the movie, with their authors. "
            "404 if the movie does not exist.",
        )
    ),
)

my_movie_rating_schema = view_schema(
    extend_schema(tags=["movies"], parameters=[id_parameter("Id of the movie.")]),
    extend_schema_view(
        retrieve=extend_schema(summary="Your rating of a movie (404 if none)"),
        update=extend_schema(
            summary="Rate a movie or change your rating",
            description="201 when the rating is created, 200 when it is changed. "
            "An omitted `review` keeps the current one; an empty string clears it.",
            request=MovieRatingUpsertSerializer,
            responses={
                200: OpenApiResponse(RatingSerializer, description="Rating changed."),
                201: OpenApiResponse(RatingSerializer, description="Rating created."),
            },
            examples=_RATING_UPSERT_EXAMPLES,
        ),
        destroy=extend_schema(
            summary="Remove your rating of a movie (404 if none)",
            responses={204: OpenApiResponse(description="Deleted.")},
        ),
    ),
)

my_ratings_schema = view_schema(
    extend_schema(tags=["users"]),
    extend_schema_view(
        list=extend_schema(
            summary="Your profile: the movies you rated",
            description="Your ratings, each with a summary of its movie.",
        )
    ),
)

user_ratings_schema = view_schema(
    extend_schema(tags=["users"], parameters=[id_parameter("Id of the user.")]),
    extend_schema_view(
        list=extend_schema(
            summary="A user's profile: the movies they rated",
            description="Their ratings, each with a summary of its movie. 404 for an "
            "unknown user, and for a deactivated one unless you are an admin.",
        )
    ),
)
