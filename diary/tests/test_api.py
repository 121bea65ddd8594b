"""``users/me/diary/``, ``users/me/diary/{id}/`` and ``users/{id}/diary/``."""

import datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from diary.models import DiaryEntry, latest_watch_date
from diary.tests.factories import DiaryEntryFactory
from movies.tests.factories import GenreFactory, MovieFactory
from ratings.models import Rating
from ratings.tests.factories import RatingFactory
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MINE = "diary:my-diary"
ENTRY = "diary:my-diary-entry"
THEIRS = "diary:user-diary"
ENTRY_FIELDS = {"id", "movie", "watched_on", "rewatch", "score", "review", "created_at"}


@pytest.fixture
def clients(api_client, client_for, user, other_user, admin_user):
    return {
        "anonymous": api_client,
        "other": client_for(other_user),
        "owner": client_for(user),
        "admin": client_for(admin_user),
    }


def _rating(user, movie) -> tuple[Decimal, str] | None:
    return (
        Rating.objects.filter(user=user, movie=movie)
        .values_list("score", "review")
        .first()
    )


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("anonymous", HTTPStatus.UNAUTHORIZED),
        ("other", HTTPStatus.OK),
        ("owner", HTTPStatus.OK),
        ("admin", HTTPStatus.OK),
    ],
)
@pytest.mark.parametrize("route", [MINE, THEIRS])
def test_diary_lists_permissions(clients, user, route, caller, expected):
    DiaryEntryFactory.create(user=user)
    url = reverse(route) if route == MINE else reverse(route, args=[user.pk])

    response = clients[caller].get(url)

    assert response.status_code == expected
    if route == THEIRS and expected == HTTPStatus.OK:
        assert response.json()["count"] == 1


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("anonymous", HTTPStatus.UNAUTHORIZED),
        ("other", HTTPStatus.CREATED),
        ("owner", HTTPStatus.CREATED),
        ("admin", HTTPStatus.CREATED),
    ],
)
def test_diary_create_permissions(clients, caller, expected):
    body = {"movie": MovieFactory.create().pk, "watched_on": "2024-01-02"}

    response = clients[caller].post(reverse(MINE), body, format="json")

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("caller", "patch", "delete"),
    [
        ("anonymous", HTTPStatus.UNAUTHORIZED, HTTPStatus.UNAUTHORIZED),
        ("other", HTTPStatus.NOT_FOUND, HTTPStatus.NOT_FOUND),
        ("admin", HTTPStatus.NOT_FOUND, HTTPStatus.NOT_FOUND),
        ("owner", HTTPStatus.OK, HTTPStatus.NO_CONTENT),
    ],
)
def test_diary_entry_permissions(clients, user, caller, patch, delete):
    entry = DiaryEntryFactory.create(user=user, review="Mine.")
    url = reverse(ENTRY, args=[entry.pk])
    client = clients[caller]

    assert client.patch(url, {"review": "Theirs."}, format="json").status_code == (
        patch
    )
    assert client.delete(url).status_code == delete
    if caller != "owner":
        assert DiaryEntry.objects.get(pk=entry.pk).review == "Mine."


def test_create_logs_the_viewing_and_rates_the_film(
    user, user_client, assert_aggregates_exact
):
    drama = GenreFactory.create(name="Drama")
    movie = MovieFactory.create(title="Heat", year=1995, genres=[drama])

    response = user_client.post(
        reverse(MINE),
        {"movie": movie.pk, "watched_on": "2024-03-09", "score": 4.5, "review": "Yes."},
        format="json",
    )

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert set(body) == ENTRY_FIELDS
    assert (body["watched_on"], body["rewatch"], body["score"], body["review"]) == (
        "2024-03-09",
        False,
        4.5,
        "Yes.",
    )
    assert body["movie"] == {
        "id": movie.pk,
        "title": "Heat",
        "year": 1995,
        "genres": [{"id": drama.pk, "name": "Drama", "slug": drama.slug}],
        "average_rating": 4.5,
        "weighted_rating": 4.5,
        "rating_count": 1,
    }
    assert body["created_at"].endswith("Z")
    assert _rating(user, movie) == (Decimal("4.5"), "Yes.")
    assert_aggregates_exact()


def test_create_without_a_score_rates_nothing(user, user_client):
    movie = MovieFactory.create()

    response = user_client.post(
        reverse(MINE),
        {"movie": movie.pk, "watched_on": "2024-03-09", "score": None},
        format="json",
    )

    assert response.status_code == HTTPStatus.CREATED
    assert (response.json()["score"], response.json()["review"]) == (None, "")
    assert _rating(user, movie) is None


def test_a_second_viewing_is_a_rewatch_and_changes_the_rating(user, user_client):
    movie = MovieFactory.create()
    RatingFactory.create(user=user, movie=movie, score=Decimal(2), review="Meh.")
    DiaryEntryFactory.create(user=user, movie=movie, watched_on="2020-01-01")

    response = user_client.post(
        reverse(MINE),
        {"movie": movie.pk, "watched_on": "2024-03-09", "score": 4.0},
        format="json",
    )

    assert response.json()["rewatch"] is True
    assert _rating(user, movie) == (Decimal(4), "Meh.")  # No review: kept.


def test_the_same_film_on_the_same_day_twice_is_a_400(user, user_client):
    movie = MovieFactory.create()
    body = {"movie": movie.pk, "watched_on": "2024-03-09", "score": 3.0}
    user_client.post(reverse(MINE), body, format="json")

    response = user_client.post(reverse(MINE), {**body, "score": 5.0}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["watched_on"]
    assert _rating(user, movie) == (Decimal(3), "")
    assert DiaryEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"watched_on": "tomorrow"}, "watched_on"),
        ({"watched_on": 20240309}, "watched_on"),
        ({"watched_on": None}, "watched_on"),
        ({"watched_on": "2024-02-30"}, "watched_on"),
        ({"watched_on": "2024-03-09T10:00:00Z"}, "watched_on"),
        ({"score": 4.2}, "score"),
        ({"score": "4.5"}, "score"),
        ({"score": 0}, "score"),
        ({"review": 5}, "review"),
        ({"review": "x" * 2001}, "review"),
        ({"movie": "7"}, "movie"),
        ({"movie": 10**30}, "movie"),
    ],
)
def test_create_with_invalid_input_is_a_400_and_writes_nothing(
    user_client, changes, field
):
    body = {
        "movie": MovieFactory.create().pk,
        "watched_on": "2024-03-09",
        "score": 3.0,
        **changes,
    }

    response = user_client.post(reverse(MINE), body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == [field]
    assert not DiaryEntry.objects.exists()
    assert not Rating.objects.exists()


def test_create_in_the_future_is_a_400(user_client):
    tomorrow = latest_watch_date() + datetime.timedelta(days=1)
    body = {"movie": MovieFactory.create().pk, "watched_on": tomorrow.isoformat()}

    response = user_client.post(reverse(MINE), body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["fields"]["watched_on"] == [
        "A viewing cannot be in the future."
    ]


def test_create_without_movie_or_day_is_a_400(user_client):
    response = user_client.post(reverse(MINE), {}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.json()["fields"]) == {"movie", "watched_on"}


def test_create_of_an_unknown_movie_is_a_400(user_client):
    movie = MovieFactory.create()
    movie_id = movie.pk
    movie.delete()

    response = user_client.post(
        reverse(MINE), {"movie": movie_id, "watched_on": "2024-03-09"}, format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["movie"]


@pytest.fixture
def diary(user):
    """``user``'s diary: Heat twice (2019, 2023), Alien in 2023."""
    heat, alien = MovieFactory.create(title="Heat"), MovieFactory.create(title="Alien")
    return {
        "heat-1": DiaryEntryFactory.create(
            user=user, movie=heat, watched_on=datetime.date(2019, 5, 1)
        ),
        "alien": DiaryEntryFactory.create(
            user=user, movie=alien, watched_on=datetime.date(2023, 1, 7)
        ),
        "heat-2": DiaryEntryFactory.create(
            user=user, movie=heat, watched_on=datetime.date(2023, 12, 24)
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["heat-2", "alien", "heat-1"]),
        ({"year": "2023"}, ["heat-2", "alien"]),
        ({"year": "2019"}, ["heat-1"]),
        ({"year": "1900"}, []),
        ({"year": ""}, ["heat-2", "alien", "heat-1"]),
        ({"movie": "heat"}, ["heat-2", "heat-1"]),
        ({"movie": "heat", "year": "2023"}, ["heat-2"]),
    ],
)
def test_my_diary_latest_first_with_filters(user_client, diary, params, expected):
    names = {entry.pk: name for name, entry in diary.items()}
    if params.get("movie") == "heat":
        params = {**params, "movie": str(diary["heat-1"].movie_id)}

    response = user_client.get(reverse(MINE), params)

    assert response.status_code == HTTPStatus.OK
    assert [names[item["id"]] for item in response.json()["results"]] == expected


def test_rewatch_marks_every_entry_after_the_first(user_client, diary):
    results = user_client.get(reverse(MINE)).json()["results"]

    assert {item["id"]: item["rewatch"] for item in results} == {
        diary["heat-2"].pk: True,
        diary["alien"].pk: False,
        diary["heat-1"].pk: False,
    }


@pytest.mark.parametrize(
    "params",
    [
        {"year": "soon"},
        {"year": "0"},
        {"year": "10000"},
        {"movie": "abc"},
        {"movie": "0"},
        {"page": "0"},
    ],
)
def test_my_diary_with_invalid_parameter_is_a_400(user_client, params):
    response = user_client.get(reverse(MINE), params)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == list(params)


def test_user_diary_of_unknown_or_deactivated_user_is_404(user_client, admin_client):
    missing = UserFactory.create()
    User.objects.filter(pk=missing.pk).delete()
    inactive = UserFactory.create(is_active=False)
    DiaryEntryFactory.create(user=inactive)

    assert user_client.get(reverse(THEIRS, args=[missing.pk])).status_code == 404
    assert user_client.get(reverse(THEIRS, args=[inactive.pk])).status_code == 404
    assert admin_client.get(reverse(THEIRS, args=[inactive.pk])).json()["count"] == 1


def test_patch_changes_the_entry_and_recomputes_rewatch_not_the_rating(
    user, user_client, diary
):
    RatingFactory.create(user=user, movie=diary["heat-1"].movie, score=Decimal(4))
    url = reverse(ENTRY, args=[diary["heat-2"].pk])

    response = user_client.patch(
        url,
        {"watched_on": "2018-01-01", "score": 1.5, "review": "Worse back then."},
        format="json",
    )

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert (body["watched_on"], body["score"], body["review"], body["rewatch"]) == (
        "2018-01-01",
        1.5,
        "Worse back then.",
        False,  # Now the first viewing of Heat.
    )
    assert _rating(user, diary["heat-1"].movie) == (Decimal(4), "")
    listed = {
        item["id"]: item["rewatch"]
        for item in user_client.get(reverse(MINE)).json()["results"]
    }
    assert listed[diary["heat-1"].pk] is True


def test_patch_can_clear_the_score(user_client, user):
    entry = DiaryEntryFactory.create(user=user, score=Decimal(3))

    response = user_client.patch(
        reverse(ENTRY, args=[entry.pk]), {"score": None}, format="json"
    )

    assert response.json()["score"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"watched_on": "2019-05-01"}, "watched_on"),  # Heat's first viewing day.
        ({"watched_on": "2999-01-01"}, "watched_on"),
        ({"score": 7}, "score"),
        ({"review": None}, "review"),
        ({"movie": "other"}, "movie"),
    ],
)
def test_patch_with_invalid_input_is_a_400_and_changes_nothing(
    user_client, diary, body, field
):
    entry = diary["heat-2"]
    if body.get("movie") == "other":
        body = {"movie": diary["alien"].movie_id}

    response = user_client.patch(reverse(ENTRY, args=[entry.pk]), body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == [field]
    assert DiaryEntry.objects.get(pk=entry.pk).watched_on == entry.watched_on


def test_patch_with_its_own_movie_is_accepted(user_client, diary):
    entry = diary["alien"]

    response = user_client.patch(
        reverse(ENTRY, args=[entry.pk]),
        {"movie": entry.movie_id, "review": "Same film."},
        format="json",
    )

    assert response.status_code == HTTPStatus.OK


def test_delete_removes_the_entry_and_keeps_the_rating(user, user_client):
    movie = MovieFactory.create()
    created = user_client.post(
        reverse(MINE),
        {"movie": movie.pk, "watched_on": "2024-03-09", "score": 4.0},
        format="json",
    ).json()

    response = user_client.delete(reverse(ENTRY, args=[created["id"]]))

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not DiaryEntry.objects.exists()
    assert _rating(user, movie) == (Decimal(4), "")
    assert user_client.delete(reverse(ENTRY, args=[created["id"]])).status_code == 404


@pytest.mark.parametrize("method", ["get", "put", "post"])
def test_diary_entry_other_methods_are_405(user, user_client, method):
    entry = DiaryEntryFactory.create(user=user)

    response = getattr(user_client, method)(reverse(ENTRY, args=[entry.pk]))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.parametrize("rows", [1, 20])
@pytest.mark.parametrize("route", [MINE, THEIRS])
def test_diary_queries_do_not_grow_with_rows(
    user, user_client, django_assert_num_queries, rows, route
):
    genres = GenreFactory.create_batch(2)
    movie = MovieFactory.create(genres=genres)
    for n in range(rows):
        # Rewatches of one film and first viewings of others.
        film = movie if n % 2 else MovieFactory.create(genres=genres)
        DiaryEntryFactory.create(user=user, movie=film)
    url = reverse(MINE) if route == MINE else reverse(THEIRS, args=[user.pk])

    # auth user, (diary owner), count, page with films, C and rewatch, genres
    with django_assert_num_queries(4 if route == MINE else 5):
        response = user_client.get(url)

    assert len(response.json()["results"]) == rows


def test_the_year_filter_is_documented_as_an_integer():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"]["/api/v1/users/me/diary/"]["get"]["parameters"]
    year = next(p for p in parameters if p["name"] == "year")

    assert year["schema"]["type"] == "integer"
    assert (year["schema"]["minimum"], year["schema"]["maximum"]) == (1, 9999)
