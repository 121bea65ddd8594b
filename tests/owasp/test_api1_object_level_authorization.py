"""API1 Broken Object Level Authorization: ids in paths reach only what they may.

A basic user walks every id around the existing ones (the way an attacker
enumerates) on every operation with an id in its path and must get exactly
what docs/API.md allows: ratings are public to read and only their author may
change them (403 for another's, 404 for an id that does not exist); a user's
account is public in its public shape only, others' accounts cannot be changed
or deleted (403), and deactivated or unknown accounts are 404; "your rating"
routes address the caller's own rating only. Nothing of anyone else changes.

Already covered elsewhere and not repeated: the owner/other/admin table of
``ratings/{id}/`` (``test_rating_detail_permissions`` in
``ratings/tests/test_api_ratings.py``),
the ``users/{id}/`` table (``users/tests/test_permissions.py``), basic users'
``ratings/`` list holding only their own ratings, ``?user=`` included
(``ratings/tests/test_api_ratings.py``).
"""

from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse

from ratings.models import Rating
from users.models import User

from .operations import World, build_world, error_body, snapshot

pytestmark = pytest.mark.django_db

PUBLIC_USER_FIELDS = {"id", "username", "date_joined", "ratings_count"}


def _ids_around(model: type[Rating] | type[User]) -> list[int]:
    """Return the ids an enumeration would try: each existing id, its
    neighbours and a few past the highest.

    Not simply 1..highest: on PostgreSQL sequences are not rolled back between
    tests, so the highest id grows with the size of the suite.
    """
    existing = set(model.objects.values_list("pk", flat=True))
    highest = max(existing)
    around = {pk + step for pk in existing for step in (-1, 0, 1)}
    return sorted(pk for pk in around | set(range(highest + 1, highest + 4)) if pk > 0)


def _others(world: World) -> dict[str, Any]:
    """Return everything that belongs to users other than ``world.basic``."""
    rows = snapshot()
    basic = world.basic.pk
    return {
        "ratings": [row for row in rows["ratings.Rating"] if row[1] != basic],
        "users": [row for row in rows["users.User"] if row[0] != basic],
    }


@pytest.fixture
def world() -> World:
    return build_world()


def test_enumerating_rating_ids_reads_any_but_changes_only_own(world: World) -> None:
    client = world.client("basic")
    own = set(Rating.objects.filter(user=world.basic).values_list("pk", flat=True))
    existing = set(Rating.objects.values_list("pk", flat=True))
    before = _others(world)

    for rating_id in _ids_around(Rating):
        url = reverse("ratings:rating-detail", args=[rating_id])
        if rating_id in own:
            continue
        read = client.get(url)
        if rating_id in existing:
            assert read.status_code == HTTPStatus.OK
            assert set(read.json()["user"]) == PUBLIC_USER_FIELDS
            expected = HTTPStatus.FORBIDDEN
        else:
            assert read.status_code == HTTPStatus.NOT_FOUND
            expected = HTTPStatus.NOT_FOUND
        for method in ("put", "patch", "delete"):
            response = getattr(client, method)(
                url, {"score": 0.5, "review": "hijacked"}, format="json"
            )
            assert response.status_code == expected, (method, rating_id)
            error_body(response)

    assert _others(world) == before


def test_enumerating_user_ids_shows_public_shape_and_changes_nothing(
    world: World,
) -> None:
    client = world.client("basic")
    active = set(User.objects.filter(is_active=True).values_list("pk", flat=True))
    before = _others(world)

    for user_id in _ids_around(User):
        if user_id == world.basic.pk:
            continue
        detail = reverse("users:user-detail", args=[user_id])
        profile = reverse("ratings:user-ratings", args=[user_id])
        read, ratings = client.get(detail), client.get(profile)
        if user_id in active:
            assert read.status_code == HTTPStatus.OK
            assert set(read.json()) == PUBLIC_USER_FIELDS
            assert ratings.status_code == HTTPStatus.OK
            expected = HTTPStatus.FORBIDDEN
        else:
            # Unknown, or deactivated: a resource the caller may not know exists.
            assert read.status_code == HTTPStatus.NOT_FOUND, user_id
            assert ratings.status_code == HTTPStatus.NOT_FOUND, user_id
            expected = HTTPStatus.NOT_FOUND
        changes: list[tuple[str, dict[str, Any] | None]] = [
            ("patch", {"first_name": "Hijacked"}),
            ("patch", {"role": "basic"}),
            ("delete", None),
        ]
        for method, body in changes:
            response = getattr(client, method)(detail, body, format="json")
            assert response.status_code == expected, (user_id, response.content)
            error_body(response)

    assert _others(world) == before


def test_deactivated_users_ratings_stay_hidden_behind_404_but_admins_see_them(
    world: World,
) -> None:
    url = reverse("ratings:user-ratings", args=[world.inactive.pk])

    assert world.client("basic").get(url).status_code == HTTPStatus.NOT_FOUND
    assert world.client("admin").get(url).status_code == HTTPStatus.OK


@pytest.mark.parametrize("method", ["get", "delete"])
def test_your_rating_route_never_reaches_another_users_rating(
    world: World, method: str
) -> None:
    # ``classic`` is rated by others only: the caller has no rating of it.
    url = reverse("ratings:movie-rating", args=[world.classic.pk])
    before = snapshot()

    response = getattr(world.client("basic"), method)(url)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert error_body(response)["code"] == "not_found"
    assert snapshot() == before


def test_rating_a_movie_others_rated_creates_your_own_and_spares_theirs(
    world: World,
) -> None:
    url = reverse("ratings:movie-rating", args=[world.classic.pk])
    before = _others(world)

    response = world.client("basic").put(url, {"score": 0.5}, format="json")

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["user"]["id"] == world.basic.pk
    assert _others(world)["ratings"] == before["ratings"]
