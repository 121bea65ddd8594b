from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from recommendations import services, serving
from recommendations.artefact import FORMAT_VERSION, decode
from recommendations.models import RecommenderModel
from recommendations.tests.conftest import TEST_PARAMS, World
from users.models import User

pytestmark = pytest.mark.django_db

Train = Callable[[], RecommenderModel]


def test_training_stores_an_active_model_of_this_format(
    world: World, train: Train
) -> None:
    row = train()
    row.refresh_from_db()
    assert row.is_active
    assert row.format_version == FORMAT_VERSION
    assert (row.users, row.items, row.ratings) == (12, 5, 36)
    assert row.parameters["l2"] == TEST_PARAMS.l2
    model = decode(bytes(row.artefact))
    assert set(model.item_ids.tolist()) == {
        world.anchor.pk,
        world.partner.pk,
        world.left.pk,
        world.right.pk,
        world.hit.pk,
    }
    assert row.artefact_bytes == model.nbytes


def test_training_switches_the_active_model_and_keeps_two_older_ones(
    world: World, train: Train
) -> None:
    rows = [train() for _ in range(4)]
    active = RecommenderModel.objects.get(is_active=True)
    assert active.pk == rows[-1].pk
    kept = set(RecommenderModel.objects.values_list("pk", flat=True))
    assert kept == {row.pk for row in rows[-3:]}


def test_training_announces_the_new_version_to_every_process(
    world: World, train: Train
) -> None:
    first = train()
    assert serving.active_version() == (first.pk, FORMAT_VERSION)
    second = train()
    # No query needed: the version comes from the cache.
    assert cache.get(serving.VERSION_KEY) == (second.pk, FORMAT_VERSION)


def test_a_process_finds_the_active_version_in_the_database_on_a_cache_miss(
    world: World, train: Train, django_assert_num_queries: Any
) -> None:
    row = train()
    cache.delete(serving.VERSION_KEY)
    with django_assert_num_queries(1):
        assert serving.active_version() == (row.pk, FORMAT_VERSION)
    with django_assert_num_queries(0):
        assert serving.active_version() == (row.pk, FORMAT_VERSION)


def test_training_with_no_ratings_stores_an_empty_model(db: None) -> None:
    row, report = services.recommender_train(params=TEST_PARAMS)
    assert report.items == 0
    assert row.is_active


def test_a_request_during_training_gets_an_answer(
    world: World,
    train: Train,
    client_for: Callable[[User | None], APIClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    train()
    client = client_for(world.first_crowd[0])
    answers: list[tuple[int, str]] = []
    learn = services.fit_item_model

    def learn_while_serving(*args: Any, **kwargs: Any) -> Any:
        # Ratings read, model not stored yet: the server answers with the
        # model it has.
        response = client.get(reverse("recommendations:my-recommendations"))
        answers.append((response.status_code, response.json()["strategy"]))
        return learn(*args, **kwargs)

    monkeypatch.setattr(services, "fit_item_model", learn_while_serving)
    row, _ = services.recommender_train(params=TEST_PARAMS)
    assert answers == [(HTTPStatus.OK, "personal")]
    assert serving.active_version() == (row.pk, FORMAT_VERSION)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_requests_from_another_thread_are_answered_while_training_runs(
    client_for: Callable[[User | None], APIClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from django.db import connection

    from movies.tests.factories import MovieFactory
    from recommendations.tests.conftest import rate_all
    from users.tests.factories import UserFactory

    films = MovieFactory.create_batch(3)
    crowd = UserFactory.create_batch(5, password=None)
    for member in crowd:
        rate_all(member, *films)
    learning_started, answered = threading.Event(), threading.Event()
    learn = services.fit_item_model

    def slow_learning(*args: Any, **kwargs: Any) -> Any:
        learning_started.set()
        assert answered.wait(timeout=30)
        return learn(*args, **kwargs)

    monkeypatch.setattr(services, "fit_item_model", slow_learning)
    results: list[RecommenderModel] = []

    def training() -> None:
        try:
            results.append(services.recommender_train(params=TEST_PARAMS)[0])
        finally:
            connection.close()

    trainer = threading.Thread(target=training)
    trainer.start()
    assert learning_started.wait(timeout=30)
    response = client_for(crowd[0]).get(reverse("recommendations:my-recommendations"))
    answered.set()
    trainer.join(timeout=60)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["strategy"] == "popular"  # No model finished yet.
    assert results
    assert results[0].is_active
