from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from movies.models import Movie
from ratings.models import Rating
from ratings.services import rating_delete
from recommendations.models import RecommenderModel
from recommendations.tests.conftest import CROWD, World, rate_all
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], APIClient]
Train = Callable[[], RecommenderModel]


def similar_url(movie: Movie | int) -> str:
    pk = movie if isinstance(movie, int) else movie.pk
    return reverse("recommendations:movie-similar", kwargs={"id": pk})


def my_url() -> str:
    return reverse("recommendations:my-recommendations")


def user_url(user: User | int) -> str:
    pk = user if isinstance(user, int) else user.pk
    return reverse("recommendations:user-recommendations", kwargs={"id": pk})


def titles(body: dict[str, Any]) -> list[str]:
    return [item["movie"]["title"] for item in body["results"]]


# --- Similar films -------------------------------------------------------------


def test_similar_puts_the_co_rated_film_first_and_never_the_film_itself(
    api_client: APIClient, world: World, train: Train
) -> None:
    train()
    response = api_client.get(similar_url(world.anchor))
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert titles(body)[0] == "Partner"
    assert "Anchor" not in titles(body)
    first = body["results"][0]
    assert set(first["movie"]) >= {
        "id",
        "title",
        "year",
        "genres",
        "average_rating",
        "rating_count",
    }
    assert isinstance(first["score"], float)
    scores = [item["score"] for item in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_similar_leaves_out_thinly_co_rated_films(
    api_client: APIClient, world: World, train: Train
) -> None:
    # One person rated Anchor and Left: too thin to call them similar.
    rate_all(world.first_crowd[0], world.left)
    train()
    assert "Left" not in titles(api_client.get(similar_url(world.anchor)).json())


def test_similar_honours_limit(
    api_client: APIClient, world: World, train: Train
) -> None:
    train()
    body = api_client.get(similar_url(world.anchor), {"limit": "1"}).json()
    assert titles(body) == ["Partner"]


@pytest.mark.parametrize("limit", ["0", "51", "-1", "ten", "1.5"])
def test_similar_limit_out_of_range_is_400(
    api_client: APIClient, world: World, limit: str
) -> None:
    response = api_client.get(similar_url(world.anchor), {"limit": limit})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    assert "limit" in body["fields"]


def test_similar_empty_limit_counts_as_absent(
    api_client: APIClient, world: World
) -> None:
    response = api_client.get(similar_url(world.anchor), {"limit": ""})
    assert response.status_code == HTTPStatus.OK


def test_similar_of_an_unknown_movie_is_404(api_client: APIClient, db: None) -> None:
    response = api_client.get(similar_url(2**40))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert api_client.get(similar_url(2**63 + 1)).status_code == HTTPStatus.NOT_FOUND


def test_similar_before_any_training_is_an_empty_list(
    api_client: APIClient, world: World
) -> None:
    response = api_client.get(similar_url(world.anchor))
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"results": []}


def test_similar_of_a_film_the_model_did_not_learn_is_empty(
    api_client: APIClient, world: World, train: Train
) -> None:
    train()
    assert api_client.get(similar_url(world.unrated)).json() == {"results": []}


def test_similar_skips_a_film_deleted_since_training(
    api_client: APIClient, world: World, train: Train
) -> None:
    train()
    world.partner.delete()
    assert "Partner" not in titles(api_client.get(similar_url(world.anchor)).json())


# --- Personal picks ------------------------------------------------------------


@pytest.fixture
def fan(world: World) -> User:
    """A user who rated Anchor only."""
    user = UserFactory.create(password=None)
    rate_all(user, world.anchor)
    return user


def test_picks_follow_co_ratings_and_name_the_supporting_film(
    client_for: ClientFor, world: World, fan: User, train: Train
) -> None:
    train()
    response = client_for(fan).get(my_url())
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["strategy"] == "personal"
    first = body["results"][0]
    assert first["movie"]["title"] == "Partner"
    assert [film["title"] for film in first["because"]] == ["Anchor"]
    assert "Anchor" not in titles(body)


def test_picks_never_include_rated_films(
    client_for: ClientFor, world: World, train: Train
) -> None:
    train()
    member = world.first_crowd[0]
    body = client_for(member).get(my_url()).json()
    rated = set(
        Rating.objects.filter(user=member).values_list("movie__title", flat=True)
    )
    assert body["strategy"] == "personal"
    assert not rated & set(titles(body))


def test_a_new_rating_changes_the_next_response_at_once(
    client_for: ClientFor, world: World, fan: User, train: Train
) -> None:
    train()
    client = client_for(fan)
    assert titles(client.get(my_url()).json())[0] == "Partner"
    rate_all(fan, world.partner)
    after = client.get(my_url()).json()
    assert "Partner" not in titles(after)


def test_an_unrating_changes_the_next_response_at_once(
    client_for: ClientFor, world: World, fan: User, train: Train
) -> None:
    rate_all(fan, world.left)
    train()
    client = client_for(fan)
    before = client.get(my_url()).json()
    assert {"Partner", "Right"} <= set(titles(before))
    rating_delete(rating=Rating.objects.get(user=fan, movie=world.left))
    after = client.get(my_url()).json()
    assert "Right" not in titles(after)
    assert "Left" in titles(after) or titles(after)[0] == "Partner"


def test_no_ratings_fall_back_to_popular_with_empty_because(
    user_client: APIClient, world: World, train: Train
) -> None:
    train()
    body = user_client.get(my_url()).json()
    assert body["strategy"] == "popular"
    assert body["results"]
    assert all(item["because"] == [] for item in body["results"])
    # The best by weighted rating: the well-rated crowd's films first.
    assert titles(body)[0] in {"Anchor", "Partner"}
    assert "Unrated" not in titles(body)


def test_before_any_training_picks_are_popular_and_skip_rated_films(
    client_for: ClientFor, world: World, fan: User
) -> None:
    body = client_for(fan).get(my_url()).json()
    assert body["strategy"] == "popular"
    assert "Anchor" not in titles(body)
    assert titles(body)[0] == "Partner"


def test_picks_filter_by_genre(
    client_for: ClientFor, world: World, fan: User, train: Train
) -> None:
    rate_all(fan, world.left)
    train()
    client = client_for(fan)
    assert set(titles(client.get(my_url(), {"genre": "comedy"}).json())) <= {
        "Right",
        "Hit",
    }
    assert "Right" in titles(client.get(my_url(), {"genre": "comedy"}).json())
    both = client.get(my_url(), [("genre", "drama"), ("genre", "comedy")]).json()
    assert set(titles(both)) <= {"Hit"}
    assert titles(client.get(my_url(), {"genre": "drama,comedy"}).json()) == titles(
        both
    )
    assert client.get(my_url(), {"genre": "no-such-genre"}).json()["results"] == []


def test_popular_picks_filter_by_genre(user_client: APIClient, world: World) -> None:
    body = user_client.get(my_url(), {"genre": "comedy"}).json()
    assert body["strategy"] == "popular"
    assert set(titles(body)) == {"Left", "Right", "Hit"}


def test_picks_honour_limit(
    client_for: ClientFor, world: World, fan: User, train: Train
) -> None:
    train()
    assert len(client_for(fan).get(my_url(), {"limit": "1"}).json()["results"]) == 1


@pytest.mark.parametrize("limit", ["0", "101", "many"])
def test_picks_limit_out_of_range_is_400(
    user_client: APIClient, world: World, limit: str
) -> None:
    response = user_client.get(my_url(), {"limit": limit})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "limit" in response.json()["fields"]


def test_picks_of_a_rater_of_only_unlearned_films_are_popular(
    client_for: ClientFor, world: World, train: Train
) -> None:
    train()
    loner = UserFactory.create(password=None)
    rate_all(loner, world.unrated)
    body = client_for(loner).get(my_url()).json()
    assert body["strategy"] == "popular"
    assert "Unrated" not in titles(body)


# --- Who may read whose picks --------------------------------------------------


def test_anonymous_callers_get_401(api_client: APIClient, world: World) -> None:
    assert api_client.get(my_url()).status_code == HTTPStatus.UNAUTHORIZED
    member = world.first_crowd[0]
    assert api_client.get(user_url(member)).status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("owner", HTTPStatus.OK),
        ("other", HTTPStatus.FORBIDDEN),
        ("admin", HTTPStatus.OK),
    ],
)
def test_user_recommendations_permissions(
    client_for: ClientFor,
    world: World,
    fan: User,
    other_user: User,
    admin_user: User,
    train: Train,
    caller: str,
    expected: HTTPStatus,
) -> None:
    train()
    client = client_for(
        {"owner": fan, "other": other_user, "admin": admin_user}[caller]
    )
    response = client.get(user_url(fan))
    assert response.status_code == expected
    if expected == HTTPStatus.OK:
        assert titles(response.json())[0] == "Partner"
        assert response.json() == client_for(fan).get(my_url()).json()


def test_basic_user_probing_an_unknown_user_gets_403_not_404(
    user_client: APIClient, db: None
) -> None:
    assert user_client.get(user_url(2**40)).status_code == HTTPStatus.FORBIDDEN


def test_admin_reading_an_unknown_user_gets_404(
    admin_client: APIClient, db: None
) -> None:
    assert admin_client.get(user_url(2**40)).status_code == HTTPStatus.NOT_FOUND


# --- Models, versions and formats ----------------------------------------------


def test_a_model_of_an_older_format_is_ignored_safely(
    client_for: ClientFor,
    api_client: APIClient,
    world: World,
    fan: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    RecommenderModel.objects.create(
        format_version=0, algorithm="ease", artefact=b"old layout", is_active=True
    )
    body = client_for(fan).get(my_url()).json()
    assert body["strategy"] == "popular"
    assert api_client.get(similar_url(world.anchor)).json() == {"results": []}
    assert "format 0" in caplog.text


def test_a_damaged_artefact_is_ignored_safely(
    client_for: ClientFor, world: World, fan: User, caplog: pytest.LogCaptureFixture
) -> None:
    from recommendations.artefact import FORMAT_VERSION

    RecommenderModel.objects.create(
        format_version=FORMAT_VERSION,
        algorithm="ease",
        artefact=b"not numpy at all",
        is_active=True,
    )
    response = client_for(fan).get(my_url())
    assert response.status_code == HTTPStatus.OK
    assert response.json()["strategy"] == "popular"
    assert "ignored" in caplog.text


def test_a_new_training_is_served_at_once(
    client_for: ClientFor, world: World, fan: User, train: Train
) -> None:
    train()
    client = client_for(fan)
    assert "Right" not in titles(client.get(my_url()).json())
    # The first crowd discovers Right; the next model links it to Anchor.
    for member in world.first_crowd:
        rate_all(member, world.right)
    train()
    assert "Right" in titles(client.get(my_url()).json())


# --- Query budgets ---------------------------------------------------------------


def _crowd_film(world: World, n: int) -> list[Movie]:
    """Add ``n`` films that the first crowd rates too."""
    from movies.tests.factories import MovieFactory

    films = MovieFactory.create_batch(n)
    for member in world.first_crowd:
        rate_all(member, *films)
    return films


# The caller (token) + their ratings + the films + their genres.
PICKS_QUERIES = 4
# The films (the film itself among them) + their genres.
SIMILAR_QUERIES = 2


@pytest.mark.parametrize("extra", [1, 20])
def test_personal_picks_cost_the_same_queries_for_1_and_20_films(
    client_for: ClientFor,
    world: World,
    fan: User,
    train: Train,
    django_assert_num_queries: Any,
    extra: int,
) -> None:
    _crowd_film(world, extra)
    train()
    client = client_for(fan)
    client.get(my_url())  # This process loads the model.
    with django_assert_num_queries(PICKS_QUERIES):
        body = client.get(my_url(), {"limit": "100"}).json()
    assert body["strategy"] == "personal"
    assert len(body["results"]) >= extra


@pytest.mark.parametrize("extra", [1, 20])
def test_popular_picks_cost_the_same_queries_for_1_and_20_films(
    user_client: APIClient,
    world: World,
    django_assert_num_queries: Any,
    extra: int,
) -> None:
    _crowd_film(world, extra)
    user_client.get(my_url())
    with django_assert_num_queries(PICKS_QUERIES):
        body = user_client.get(my_url(), {"limit": "100"}).json()
    assert len(body["results"]) >= extra


@pytest.mark.parametrize("extra", [1, 20])
def test_similar_costs_the_same_queries_for_1_and_20_films(
    api_client: APIClient,
    world: World,
    train: Train,
    django_assert_num_queries: Any,
    extra: int,
) -> None:
    _crowd_film(world, extra)
    train()
    api_client.get(similar_url(world.anchor))
    with django_assert_num_queries(SIMILAR_QUERIES):
        body = api_client.get(similar_url(world.anchor), {"limit": "50"}).json()
    assert len(body["results"]) >= extra


def test_repeated_picks_cost_only_the_token_query(
    client_for: ClientFor,
    world: World,
    fan: User,
    train: Train,
    django_assert_num_queries: Any,
    response_cache_off: None,
) -> None:
    train()
    client = client_for(fan)
    first = client.get(my_url()).json()
    with django_assert_num_queries(1):  # The caller (token); the body is cached.
        again = client.get(my_url()).json()
    assert again == first


def test_repeated_similar_costs_no_query(
    api_client: APIClient,
    world: World,
    train: Train,
    django_assert_num_queries: Any,
) -> None:
    train()
    first = api_client.get(similar_url(world.anchor)).json()
    with django_assert_num_queries(0):
        again = api_client.get(similar_url(world.anchor)).json()
    assert again == first


def _summary(body: dict[str, Any], title: str) -> dict[str, Any]:
    return next(
        item["movie"] for item in body["results"] if item["movie"]["title"] == title
    )


def test_someone_elses_rating_shows_in_the_next_picks(
    client_for: ClientFor, world: World, fan: User, train: Train
) -> None:
    train()
    client = client_for(fan)
    before = _summary(client.get(my_url()).json(), "Partner")["rating_count"]
    rate_all(UserFactory.create(password=None), world.partner)
    after = _summary(client.get(my_url()).json(), "Partner")["rating_count"]
    assert after == before + 1


def test_someone_elses_rating_shows_in_the_next_similar_list(
    api_client: APIClient, world: World, train: Train
) -> None:
    train()
    before = _summary(api_client.get(similar_url(world.anchor)).json(), "Partner")
    rate_all(UserFactory.create(password=None), world.partner, score="1.0")
    after = _summary(api_client.get(similar_url(world.anchor)).json(), "Partner")
    assert after["rating_count"] == before["rating_count"] + 1
    assert after["average_rating"] < before["average_rating"]


def test_an_admin_reads_the_picks_the_user_reads(
    client_for: ClientFor, world: World, fan: User, admin_user: User, train: Train
) -> None:
    train()
    own = client_for(fan).get(my_url()).json()
    assert client_for(admin_user).get(user_url(fan)).json() == own
    rate_all(fan, world.partner)
    assert client_for(admin_user).get(user_url(fan)).json() == (
        client_for(fan).get(my_url()).json()
    )


def test_a_genre_filter_adds_one_query(
    client_for: ClientFor,
    world: World,
    fan: User,
    train: Train,
    django_assert_num_queries: Any,
) -> None:
    train()
    client = client_for(fan)
    client.get(my_url())
    with django_assert_num_queries(PICKS_QUERIES + 1):
        client.get(my_url(), {"genre": "drama"})


def test_crowd_size_matters(world: World) -> None:
    assert len(world.first_crowd) == CROWD
