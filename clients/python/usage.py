"""Use the Python client generated from /api/schema/ (openapi-python-client).

The tour of the README, typed: sign up, sign in, list movies with filters,
open one by the id from the list, rate it, and read an error as its model.
``clients/check`` generates the client and type-checks this file with
``mypy --strict``; run against a server it exercises the client for real::

    python clients/python/usage.py http://127.0.0.1:8000
"""

import secrets
import sys

from movieratings_client import AuthenticatedClient, Client
from movieratings_client.api.auth import auth_signup_create, auth_token_create
from movieratings_client.api.movies import (
    movies_list,
    movies_rating_update,
    movies_retrieve,
)
from movieratings_client.models import (
    Error,
    ErrorCodeEnum,
    MovieDetail,
    MovieRatingUpsertRequest,
    MoviesListOrderingItem,
    PaginatedMovieList,
    Rating,
    SignupResponse,
    TokenObtainRequest,
    TokenPair,
    UserCreateRequest,
)


def main(base_url: str) -> None:
    anonymous = Client(base_url=base_url)
    email = f"reader-{secrets.token_hex(4)}@example.com"
    password = "a-long-passphrase-" + secrets.token_hex(4)

    # Sign up and sign in need no token: the anonymous client is enough.
    signed_up = auth_signup_create.sync(
        client=anonymous,
        body=UserCreateRequest(
            email=email, username=email.partition("@")[0], password=password
        ),
    )
    assert isinstance(signed_up, SignupResponse), signed_up
    print(f"signed up as {signed_up.user.username} (role {signed_up.user.role})")
    tokens = auth_token_create.sync(
        client=anonymous, body=TokenObtainRequest(email=email, password=password)
    )
    assert isinstance(tokens, TokenPair), tokens
    client = AuthenticatedClient(base_url=base_url, token=tokens.access)

    # The catalogue is public: list it anonymously, with filters and two keys.
    page = movies_list.sync(
        client=anonymous,
        genre=["drama"],
        year_min=1990,
        ordering=[
            MoviesListOrderingItem.RATING_COUNT_DESC,
            MoviesListOrderingItem.TITLE,
        ],
        page_size=5,
    )
    assert isinstance(page, PaginatedMovieList), page
    print(f"{page.count} dramas since 1990; next page: {page.next_}")
    first = page.results[0]

    # Open it by the id from the list (an int), with the token for my_rating.
    movie = movies_retrieve.sync(first.id, client=client)
    assert isinstance(movie, MovieDetail), movie
    print(f"{movie.title} ({movie.year}): {movie.rating_distribution.to_dict()}")

    rating = movies_rating_update.sync(
        movie.id,
        client=client,
        body=MovieRatingUpsertRequest(score=4.5, review="Worth it."),
    )
    assert isinstance(rating, Rating), rating
    print(f"rated {rating.score}: {rating.review!r}")

    # Errors are typed: an out-of-range score names the field.
    error = movies_rating_update.sync(
        movie.id, client=client, body=MovieRatingUpsertRequest(score=7.0)
    )
    assert isinstance(error, Error), error
    assert error.code is ErrorCodeEnum.INVALID
    messages = error.fields.additional_properties.get("score", [])
    print(f"{error.code.value}: {error.detail} {messages}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
