from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from movies.models import Movie
from movies.tests.factories import GenreFactory, MovieFactory
from ratings.services import rating_create
from recommendations import serving
from recommendations.learning import Hyperparameters
from recommendations.models import RecommenderModel
from recommendations.services import recommender_train
from users.models import User
from users.tests.factories import UserFactory

# Small enough for a crowd of a few test users to count.
TEST_PARAMS = Hyperparameters(
    l2=2.0, neighbours=50, min_item_ratings=2, min_co_ratings=3, max_items=1000
)
CROWD = 6


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    # Each test starts as a process that has loaded no model.
    serving.forget()
    yield
    serving.forget()


@dataclass
class World:
    """Two crowds: one rates ``anchor`` and ``partner``, the other ``left`` and
    ``right``; everyone rates ``hit``; ``unrated`` has no ratings at all."""

    anchor: Movie
    partner: Movie
    left: Movie
    right: Movie
    hit: Movie
    unrated: Movie
    first_crowd: list[User]
    second_crowd: list[User]


def rate_all(user: User, *movies: Movie, score: str = "4.0") -> None:
    for movie in movies:
        rating_create(user=user, movie=movie, score=Decimal(score))


@pytest.fixture
def world(db: None) -> World:
    drama, comedy = (
        GenreFactory.create(slug="drama"),
        GenreFactory.create(slug="comedy"),
    )
    anchor = MovieFactory.create(title="Anchor", genres=[drama])
    partner = MovieFactory.create(title="Partner", genres=[drama])
    left = MovieFactory.create(title="Left", genres=[comedy])
    right = MovieFactory.create(title="Right", genres=[comedy])
    hit = MovieFactory.create(title="Hit", genres=[drama, comedy])
    unrated = MovieFactory.create(title="Unrated")
    first = UserFactory.create_batch(CROWD, password=None)
    second = UserFactory.create_batch(CROWD, password=None)
    for member in first:
        rate_all(member, anchor, partner, hit)
    for member in second:
        rate_all(member, left, right, hit, score="3.0")
    return World(anchor, partner, left, right, hit, unrated, first, second)


@pytest.fixture
def train(db: None) -> Callable[[], RecommenderModel]:
    """Return a function that trains the recommender on the test database."""

    def run() -> RecommenderModel:
        row, _ = recommender_train(params=TEST_PARAMS)
        return row

    return run
