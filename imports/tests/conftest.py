from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from imports.tests.history_files import (
    EMMA_A,
    EMMA_B,
    FIGHT_CLUB,
    FORREST_GUMP,
    HEAT,
    JUMANJI,
    MATRIX,
    PULP_FICTION,
    SHAWSHANK,
    TOY_STORY,
    load_films,
)
from movies.models import Movie

# The ratings tests' fixtures: fast password hashing, exact aggregates.
from ratings.tests.conftest import (  # noqa: F401
    _fast_password_hashing,
    assert_aggregates_exact,
)

FILMS = [
    TOY_STORY,
    JUMANJI,
    HEAT,
    SHAWSHANK,
    PULP_FICTION,
    FORREST_GUMP,
    MATRIX,
    FIGHT_CLUB,
    EMMA_A,
    EMMA_B,
]

Upload = Callable[..., Any]


@pytest.fixture
def catalogue(db: None, tmp_path: Any) -> dict[int, Movie]:
    """The films of ``FILMS``, imported from MovieLens: {movieId: Movie}."""
    return load_films(tmp_path, FILMS)


def upload_file(
    client: APIClient, data: bytes, *, name: str = "ratings.csv", dry_run: Any = None
) -> Any:
    body: dict[str, Any] = {"file": SimpleUploadedFile(name, data, "text/csv")}
    if dry_run is not None:
        body["dry_run"] = dry_run
    return client.post(reverse("imports:history-import"), body, format="multipart")


@pytest.fixture
def upload(user_client: APIClient) -> Upload:
    """Post a file to the caller's import endpoint."""

    def post(data: bytes, **kwargs: Any) -> Any:
        return upload_file(user_client, data, **kwargs)

    return post
